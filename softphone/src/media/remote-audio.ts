// Plays each call's remote audio through its own <audio> element. A held call's receiver
// tracks are disabled by the SIP adapter, so only the active call is heard.
// (Chromium also feeds a remote WebRTC track to WebAudio only while a media element plays it,
// which the level analyser relies on.)

export class RemoteAudio {
  readonly #container: HTMLElement;
  readonly #players = new Map<string, HTMLAudioElement>();
  readonly #playing = new WeakMap<HTMLAudioElement, Promise<void>>();
  /** The chosen speaker's deviceId; '' for the default. */
  #sinkId = '';

  constructor(container: HTMLElement) {
    this.#container = container;
  }

  /**
   * Plays `stream` for `callId` (again if it changed); an undefined stream removes the player.
   * Resolves once the element plays (the analyser must not tap the track before that).
   */
  play(callId: string, stream: MediaStream | undefined): Promise<void> {
    let player = this.#players.get(callId);
    if (stream === undefined) {
      player?.remove();
      this.#players.delete(callId);
      return Promise.resolve();
    }
    if (player === undefined) {
      player = document.createElement('audio');
      player.autoplay = true;
      player.dataset['callId'] = callId;
      player.dataset['testid'] = 'remote-audio';
      if (this.#sinkId !== '') void player.setSinkId(this.#sinkId).catch(() => undefined);
      this.#container.append(player);
      this.#players.set(callId, player);
    }
    if (player.srcObject !== stream) {
      player.srcObject = stream;
      this.#playing.set(player, player.play().catch((err: unknown) => console.warn(`remote audio of ${callId}: ${String(err)}`)));
    }
    return this.#playing.get(player) ?? Promise.resolve();
  }

  /** Removes the players of calls not in `liveCallIds`. */
  keepOnly(liveCallIds: Set<string>): void {
    for (const callId of [...this.#players.keys()]) {
      if (!liveCallIds.has(callId)) void this.play(callId, undefined);
    }
  }

  /** Plays every call, current and future, on this speaker ('' for the default). */
  async setOutputDevice(deviceId: string): Promise<void> {
    this.#sinkId = deviceId;
    if (!('setSinkId' in HTMLMediaElement.prototype)) return;
    await Promise.all([...this.#players.values()].map((player) => player.setSinkId(deviceId)));
  }
}
