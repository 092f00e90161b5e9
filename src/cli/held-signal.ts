/**
 * A signal heard before the code that acts on it is ready. `serve` imports the whole gateway and reads its profile
 * before it can reload, and SIGHUP's default action ends the process: a supervisor's reload sent just after the start
 * (systemd's ExecReload, a config tool that writes the profile and signals) killed the gateway while it loaded, and
 * one heard once it listened but before it could reload was dropped. Held from the moment the command is chosen, such
 * a signal is acted on once the handler is handed it.
 */
export class HeldSignal {
  private heard = false;
  private readonly hold = () => {
    this.heard = true;
  };

  constructor(private readonly signal: NodeJS.Signals) {
    process.on(signal, this.hold);
  }

  /** From now on the signal goes to `handler`; called at once if it was heard while held. */
  handTo(handler: () => void): void {
    process.on(this.signal, handler);
    process.off(this.signal, this.hold);
    if (this.heard) handler();
  }
}
