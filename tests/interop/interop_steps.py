"""What the two-user slixmpp interop scripts share: the failure type their steps raise, the base
of their Steps classes, and the command line and run loop around them."""

import argparse
import asyncio
import logging
import sys


class StepFailed(Exception):
    pass


class TwoAccountSteps:
    """Alice and bob (set by the script's run()), waits bounded by --timeout, and dropping both
    connections when a step fails."""

    def __init__(self, args):
        self.args = args
        self.alice = None
        self.bob = None

    async def wait_until(self, condition, what):
        """Polls `condition` until it is true; fails the step after --timeout seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.args.timeout
        while not condition():
            if loop.time() >= deadline:
                raise StepFailed(f"timed out after {self.args.timeout} s waiting for {what}")
            await asyncio.sleep(0.02)

    async def abandon(self):
        for account in (self.alice, self.bob):
            if account is not None and account.transport:
                account.abort()
        await asyncio.sleep(0.1)


async def _run(name, steps):
    try:
        await steps.run()
    except StepFailed as failure:
        print(f"{name}: {failure}", file=sys.stderr, flush=True)
        await steps.abandon()
        return 1
    except Exception as error:  # An unexpected exception is a failure too, with its reason.
        print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        await steps.abandon()
        return 1
    print("ok: all steps passed", flush=True)
    return 0


def main(name, description, make_steps):
    """Parses the options the scenario runner passes (port, both accounts, the per-wait timeout),
    runs make_steps(args).run() and returns the exit status: 0 when every step passed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--alice-jid", required=True)
    parser.add_argument("--alice-password", required=True)
    parser.add_argument("--bob-jid", required=True)
    parser.add_argument("--bob-password", required=True)
    parser.add_argument("--timeout", type=float, default=5, help="seconds allowed per wait")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    return asyncio.run(_run(name, make_steps(args)))
