// web-tree-sitter's types declare the module ambiently (`declare module
// 'web-tree-sitter'`), which TypeScript cannot use for the `./debug` export
// (its types entry is that same file). The debug build has the same API.
/// <reference path="./node_modules/web-tree-sitter/web-tree-sitter.d.ts" />
declare module 'web-tree-sitter/debug' {
  export * from 'web-tree-sitter';
}
