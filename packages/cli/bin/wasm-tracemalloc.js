#!/usr/bin/env node
import { main, reportUncaught } from '../dist/cli.js';

process.on('uncaughtException', reportUncaught);
process.exitCode = await main(process.argv.slice(2));
