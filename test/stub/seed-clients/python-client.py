# The Python example client from VIZOCHOK's "WebSocket direct integration" page
# (seeds/003_0bb708b466a43a52.txt of VIZOCHOK's documentation), verbatim.
# The only lines changed: the URL, the key and the store id, read from the environment so the
# same file runs against `npm start` (the defaults) and against a test's stub on a free port
# (hence the added `import os`). Needs the `websockets` module (Debian: apt-get install -y python3-websockets).
import os
import asyncio
import json
import websockets

async def chat():
    async with websockets.connect(os.environ.get("VIZOCHOK_WS_URL", "ws://127.0.0.1:3001/api/v1/ws/chat")) as ws:
        # Authenticate
        await ws.send(json.dumps({
            "type": "auth",
            "token": os.environ.get("VIZOCHOK_PUBLIC_KEY", "pk_test_demo"),
            "store_id": os.environ.get("VIZOCHOK_STORE_ID", "store-1"),
            "user_id": "user-123",
        }))

        auth_response = json.loads(await ws.recv())
        assert auth_response["type"] == "auth_ok"

        # Wait for conversation_started
        init = json.loads(await ws.recv())
        conversation_id = init.get("conversation_id")

        # Send a message
        await ws.send(json.dumps({
            "type": "message",
            "text": "What milk do you have?",
            "conversation_id": conversation_id,
        }))

        # Collect streaming response
        full_text = ""
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "text_delta":
                full_text += msg["delta"]
            elif msg["type"] == "response_complete":
                break

        print(full_text)

asyncio.run(chat())
