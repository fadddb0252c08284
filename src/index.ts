/** The programmatic API: compile bundles, start the bridge. */
export { compileBundleDir, compileServices, compileWsdlFile, type Bundle, type BundleResult, type CompiledOperation } from './compile';
export { formatDiagnostic, type Diagnostic } from './compile/diagnostics';
export { loadConfig, DEFAULTS, type Config } from './config';
export { ERRORS, BridgeError, problemType, type ErrorCode, type Problem } from './errors/catalogue';
export { startServer, type RunningBridge, type StartOptions } from './main';
export { initLibxml } from './compile/libxml';
