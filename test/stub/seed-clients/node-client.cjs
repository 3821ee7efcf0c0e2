// The Node.js example client from VIZOCHOK's "WebSocket direct integration" page
// (seeds/003_0bb708b466a43a52.txt of VIZOCHOK's documentation), verbatim.
// The only lines changed: the URL, the key and the store id, read from the environment so the
// same file runs against `npm start` (the defaults) and against a test's stub on a free port.
const WebSocket = require('ws');

const ws = new WebSocket(process.env.VIZOCHOK_WS_URL || 'ws://127.0.0.1:3001/api/v1/ws/chat');

ws.on('open', () => {
  ws.send(JSON.stringify({
    type: 'auth',
    token: process.env.VIZOCHOK_PUBLIC_KEY || 'pk_test_demo',
    store_id: process.env.VIZOCHOK_STORE_ID || 'store-1',
    user_id: 'user-123',
  }));
});

let conversationId = null;
let fullText = '';

ws.on('message', (data) => {
  const msg = JSON.parse(data);

  switch (msg.type) {
    case 'auth_ok':
      break;
    case 'conversation_started':
      conversationId = msg.conversation_id;
      ws.send(JSON.stringify({
        type: 'message',
        text: 'What milk do you have?',
        conversation_id: conversationId,
      }));
      break;
    case 'text_delta':
      fullText += msg.delta;
      break;
    case 'response_complete':
      console.log(fullText);
      ws.close();
      break;
  }
});
