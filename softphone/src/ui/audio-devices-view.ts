// "Audio": the microphone and speaker to use, and a level meter to check the microphone works.
// The meter opens the microphone only while the section is open. Device names need the
// microphone permission: before it, the lists show the default devices only.

import { openMicrophone } from '../media/microphone.ts';
import { LevelMeter } from '../media/level-meter.ts';
import { el } from './dom.ts';
import { t } from './i18n.ts';

const METER_TICK_MS = 100;

export interface AudioDeviceChoice {
  microphoneId: string;
  speakerId: string;
}

export function audioDevicesView(choice: AudioDeviceChoice, audioProcessing: () => boolean, onChange: (choice: AudioDeviceChoice) => void): HTMLElement {
  const microphone = el('select', { id: 'microphone-select', 'data-testid': 'microphone-select' });
  const speaker = el('select', { id: 'speaker-select', 'data-testid': 'speaker-select' });
  const meter = el('meter', { id: 'microphone-level', 'data-testid': 'microphone-level', min: '0', max: '0.5', value: '0', 'aria-label': t('microphoneLevel') });
  const canChooseSpeaker = 'setSinkId' in HTMLMediaElement.prototype;
  const section = el('details', { class: 'audio-devices', 'data-testid': 'audio-devices' },
    el('summary', {}, t('audio')),
    el('div', { class: 'field' }, el('label', { for: 'microphone-select' }, t('microphone')), microphone),
    el('div', { class: 'field' }, el('label', { for: 'microphone-level' }, t('microphoneLevel')), meter),
    canChooseSpeaker ? el('div', { class: 'field' }, el('label', { for: 'speaker-select' }, t('speaker')), speaker) : null);

  const fill = async () => {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    const options = (kind: MediaDeviceKind, selected: string) => [
      el('option', { value: '', selected: selected === '' }, t('defaultDevice')),
      ...devices.filter((device) => device.kind === kind && device.deviceId !== '' && device.deviceId !== 'default')
        .map((device, i) => el('option', { value: device.deviceId, selected: device.deviceId === selected }, device.label === '' ? `${kind} ${i + 1}` : device.label)),
    ];
    microphone.replaceChildren(...options('audioinput', choice.microphoneId));
    speaker.replaceChildren(...options('audiooutput', choice.speakerId));
  };

  let stream: MediaStream | undefined;
  let levels: LevelMeter | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopMeter = () => {
    clearInterval(timer);
    levels?.close();
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    levels = undefined;
  };
  const startMeter = async () => {
    stopMeter();
    try {
      stream = await openMicrophone({ audioProcessing: audioProcessing(), deviceId: choice.microphoneId });
    } catch {
      return; // the call itself will show the microphone error
    }
    if (!section.open) {
      stopMeter();
      return;
    }
    levels = new LevelMeter(stream);
    timer = setInterval(() => {
      meter.value = levels?.level() ?? 0;
    }, METER_TICK_MS);
    await fill(); // labels are known once the permission is granted
  };

  section.addEventListener('toggle', () => {
    if (section.open) void fill().then(startMeter);
    else stopMeter();
  });
  microphone.addEventListener('change', () => {
    choice = { ...choice, microphoneId: microphone.value };
    onChange(choice);
    if (section.open) void startMeter();
  });
  speaker.addEventListener('change', () => {
    choice = { ...choice, speakerId: speaker.value };
    onChange(choice);
  });
  return section;
}
