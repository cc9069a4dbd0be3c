export { allocatorSummary } from './report.js';
export { instrument, type InstrumentOptions, type InstrumentResult, type AllocatorReport, type SymbolsMode } from './instrument.js';
export { InstrumentError, type InstrumentErrorKind } from './errors.js';
export { symbolize, demangle, type SymbolizeOptions } from './symbolize/index.js';
export { findAllocators, parseUserRule, formatUserRule, PRESETS, USER_KINDS, type AllocatorMatch, type AllocSpec, type UserRule, type GlueFile, type Evidence, type Finder } from './find/index.js';
export { readModule, stripCustomSections, appendCustomSection, isDebugSection, type ModuleInfo, type FunctionEntry } from './binary/module.js';
export { WasmFormatError } from './binary/reader.js';
export { RUNTIME_MODULE } from './wrap-allocators.js';
