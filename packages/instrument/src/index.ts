export { allocatorSummary } from './report.js';
export { instrument, InstrumentError, type InstrumentOptions, type InstrumentResult, type AllocatorReport, type SymbolsMode } from './instrument.js';
export { symbolize, demangle, type SymbolizeOptions } from './symbolize/index.js';
export { findAllocators, parseUserRule, formatUserRule, PRESETS, USER_KINDS, type AllocatorMatch, type AllocSpec, type UserRule, type GlueFile, type Evidence, type Finder } from './find/index.js';
export { readModule, stripCustomSections, appendCustomSection, isDebugSection, type ModuleInfo, type FunctionEntry } from './binary/module.js';
export { WasmFormatError } from './binary/reader.js';
export { RUNTIME_MODULE } from './wrap-allocators.js';
