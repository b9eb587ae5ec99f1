"""`python -m apps.inference.sandbox --port 8101 --model sandbox-llm --name gpu-a`

One sandbox model server on loopback (apps/inference/sandbox/server.py). Start two on two
ports to exercise routing and breakers across servers."""

from __future__ import annotations

import argparse
import os

import uvicorn

from .server import Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--model", default="sandbox-model")
    parser.add_argument("--name", default="sandbox")
    parser.add_argument("--api-key", default=os.environ.get("SANDBOX_INFERENCE_API_KEY", ""))
    args = parser.parse_args()
    app = Sandbox(model=args.model, name=args.name, api_key=args.api_key)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off", timeout_keep_alive=30)


if __name__ == "__main__":
    main()
