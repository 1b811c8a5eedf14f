export declare const maxFunctionLines: number;
export declare const maxFileLines: number;
export declare function isJsxPage(fileName: string): boolean;
export interface LengthFinding {
  line: number;
  name: string;
  lines: number;
}
export declare function checkSource(fileName: string, text: string): { functions: LengthFinding[]; file: { lines: number } | undefined };
export declare function checkTree(root: string): { lines: string[]; count: number };
