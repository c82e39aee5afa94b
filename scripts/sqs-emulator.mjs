// Starts the fauxqs SQS emulator on 127.0.0.1 only (its own CLI listens on
// every interface). Usage: node scripts/sqs-emulator.mjs <port>
import { buildApp } from "fauxqs";

const port = Number(process.argv[2] ?? process.env.FAUXQS_PORT ?? 4566);
const app = buildApp({ logger: false });
const address = await app.listen({ port, host: "127.0.0.1" });
console.log(`SQS emulator listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => app.close().then(() => process.exit(0)));
}
