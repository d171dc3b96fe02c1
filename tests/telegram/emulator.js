// Starts the telegram-test-api Bot API emulator (npm, 4.2.1) on 127.0.0.1:<port> and prints "ready".
// The Python side (tests/telegram/emulator.py) puts a small shim proxy in front of it.
// Usage: NODE_PATH=.cache/telegram-test-api/node_modules node emulator.js <port>
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => {
  process.stdout.write('ready\n');
});
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
