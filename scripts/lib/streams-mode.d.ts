// Types of streams-mode.js for the tests that drive it.
/** The request of one paced stream: `chunks` chunks `intervalMs` apart, with `promptKiB` KiB of prompt (0: none). */
export declare function pacedBody(chunks: number, intervalMs: number, promptKiB?: number): string;
