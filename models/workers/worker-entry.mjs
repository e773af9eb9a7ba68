// Worker thread entry for pool.ts. Plain JavaScript so Node can start it under tsx, vitest or plain node;
// it registers tsx's loader and then runs the TypeScript worker body.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
