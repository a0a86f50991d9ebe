"""The machinery every training script here shares: a run folder that survives the session,
checkpoints it resumes from by itself, a log, a clean stop on SIGTERM or --max-minutes, and a
bench mode. A trainer subclasses ResumableRun and provides train_step() (one optimizer step,
returning its loss terms as floats) and the parts of its state beyond the model and optimizer.

    class MyTrainer(ResumableRun):
        FIXED = ["lr", "size"]                      # settings a resumed run keeps
        def train_step(self): ...; return {"total": 0.5}
    t = MyTrainer(args, net, opt)                   # args: .cache .run .steps .ckpt_minutes ...
    t.resume()                                      # newest ckpt-*.pt, else weights.pt, else none
    t.run()                                         # or t.bench(5)

Run folder: <cache>/train/<run>: ckpt-<step>.pt (model, optimizer, step, seconds, settings and
extra_state(); every --ckpt-minutes, newest two kept), weights.pt (the same without the
optimizer: small enough to commit when a run moves to another machine), log.txt.
"""
import glob
import json
import os
import re
import signal
import sys
import time

import torch


def checkpoints(folder):
    found = []
    for p in glob.glob(os.path.join(folder, "ckpt-*.pt")):
        m = re.search(r"ckpt-(\d+)\.pt$", p)
        if m:
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)  # a run killed mid-save never leaves a truncated checkpoint


def newest_state(folder):
    """The newest checkpoint of a run folder, else its weights.pt (carried from another machine:
    no optimizer state), else None; with the path it came from."""
    found = checkpoints(folder)
    weights = os.path.join(folder, "weights.pt")
    if not found and os.path.exists(weights):
        found = [weights]
    return (torch.load(found[-1]), found[-1]) if found else (None, None)


def lr_at(a, step):
    """Constant, then down linearly to a tenth over the last 30% of the steps."""
    start = int(0.7 * a.steps)
    if step < start:
        return a.lr
    return a.lr * (1 - 0.9 * min(1.0, (step - start) / max(1, a.steps - start)))


class ResumableRun:
    FIXED = []  # settings that define the run: a resumed run takes them from its checkpoint
    LOGGED = ["total"]  # loss terms logged first, in this order; the others follow

    def __init__(self, a, net, opt):
        self.a, self.net, self.opt = a, net, opt
        self.folder = os.path.join(a.cache, "train", a.run)
        self.step, self.seconds = 0, 0.0

    # --- for subclasses ------------------------------------------------------------------------
    def train_step(self):
        raise NotImplementedError

    def extra_state(self):
        """What a checkpoint keeps besides the model, optimizer, step, seconds and settings."""
        return {}

    def load_extra_state(self, state):
        pass

    def saved_settings(self, args):
        """A checkpoint's settings in today's form (settings added since get defaults here)."""
        return dict(args)

    # --- resuming, saving, logging ---------------------------------------------------------
    def resume(self):
        """Loads the newest state of the run folder, if any (not in bench mode); returns it."""
        state, src = (None, None) if self.a.bench else newest_state(self.folder)
        if state is None:
            return None
        state["args"] = self.saved_settings(state["args"])
        for k in self.FIXED:
            saved = state["args"].get(k, getattr(self.a, k))  # settings added later: the command line's
            if getattr(self.a, k) != saved:
                print(f"resume: keeping {k}={saved!r} from the checkpoint (not {getattr(self.a, k)!r})")
            setattr(self.a, k, saved)
        self.net.load_state_dict(state["model"])
        if "opt" in state:
            self.opt.load_state_dict(state["opt"])
        self.step, self.seconds = state["step"], state["seconds"]
        self.load_extra_state(state)
        print(f"resumed {src} at step {self.step} ({self.seconds / 3600:.2f} h trained)")
        return state

    def start_from(self, run):
        """Warm start of a new run: the model of another run's newest state (its optimizer, step and
        settings stay behind). Returns what it was, as "run@step", for the run's record."""
        init, src = newest_state(os.path.join(self.a.cache, "train", run))
        if init is None:
            sys.exit(f"--init-from {run}: that run has no checkpoint or weights.pt")
        try:
            self.net.load_state_dict(init["model"])
        except RuntimeError as e:  # torch's message: a title line, then what does not fit
            lines = [line.strip() for line in str(e).splitlines() if line.strip()]
            sys.exit(f"--init-from {run}: its network does not fit this run's: {lines[-1][:200]}")
        print(f"{self.a.run}: starting from {src} (step {init['step']} of {run})")
        return f"{run}@{init['step']}"

    def save(self):
        os.makedirs(self.folder, exist_ok=True)
        state = {"model": self.net.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                 "seconds": self.seconds, "args": {k: getattr(self.a, k) for k in self.FIXED},
                 **self.extra_state()}
        path = os.path.join(self.folder, f"ckpt-{self.step:07d}.pt")
        atomic_save(state, path)
        atomic_save({k: v for k, v in state.items() if k != "opt"}, os.path.join(self.folder, "weights.pt"))
        for old in checkpoints(self.folder)[:-2]:
            os.remove(old)
        self.log(f"checkpoint {path}")

    def log(self, line):
        print(line, flush=True)
        if not self.a.bench:
            os.makedirs(self.folder, exist_ok=True)
            with open(os.path.join(self.folder, "log.txt"), "a") as f:
                f.write(line + "\n")

    def set_lr(self):
        for g in self.opt.param_groups:
            g["lr"] = lr_at(self.a, self.step)

    def optimize(self, total, terms):
        """One optimizer step on `total`; returns the loss terms and the total as floats (the log's)."""
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        self.opt.step()
        self.step += 1
        return {**{k: float(v) for k, v in terms.items()}, "total": float(total)}

    # --- the loop --------------------------------------------------------------------------
    def run(self):
        """Trains to a.steps (or a.max_minutes), checkpointing; True when the steps are done.
        SIGTERM and SIGINT finish the step, checkpoint and exit with 128 + the signal."""
        a = self.a
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = signum  # finish the step, then checkpoint and leave

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.log(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} start at step {self.step}: " + json.dumps(vars(a)))
        started = time.time()
        last_ckpt = time.time()
        sums, counts, n, window = {}, {}, 0, time.time()
        while self.step < a.steps and not stop["now"]:
            t0 = time.time()
            terms = self.train_step()
            self.seconds += time.time() - t0
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
                counts[k] = counts.get(k, 0) + 1
            n += 1
            if self.step % a.log_every == 0 or self.step == a.steps:
                avg = {k: v / counts[k] for k, v in sums.items()}
                names = [k for k in self.LOGGED if k in avg] + sorted(
                    k for k in avg if k not in self.LOGGED and not k.startswith("style_"))
                main = " ".join(f"{k} {avg[k]:.4f}" for k in names)
                layers = " ".join(f"{avg[k]:.3f}" for k in avg if k.startswith("style_"))
                self.log(f"step {self.step} {self.seconds / 3600:.3f}h {(time.time() - window) / n:.2f}s/step "
                         f"lr {lr_at(a, self.step - 1):.1e} {main}" + (f" [{layers}]" if layers else ""))
                sums, counts, n, window = {}, {}, 0, time.time()
            if time.time() - last_ckpt > 60 * a.ckpt_minutes:
                self.save()
                last_ckpt = time.time()
            if a.max_minutes and time.time() - started > 60 * a.max_minutes:
                break
        self.save()
        if stop["now"]:
            self.log(f"stopped by signal {stop['now']} at step {self.step}; run again to resume")
            sys.exit(128 + stop["now"])  # so that a wrapper script stops too
        return self.step >= a.steps

    def bench(self, steps, what=""):
        self.train_step()  # warm-up: allocations, oneDNN kernel selection
        t0, c0 = time.time(), time.process_time()
        for _ in range(steps):
            self.train_step()
        dt, cpu = (time.time() - t0) / steps, (time.process_time() - c0) / steps
        # CPU seconds tell what an idle machine would take when the machine is shared.
        print(f"bench {what}: {dt:.2f} s/step wall, {cpu:.2f} CPU s/step, {torch.get_num_threads()} threads, "
              f"load {os.getloadavg()[0]:.1f}")
        return dt
