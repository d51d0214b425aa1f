// A desktop notification for an incoming call while the page is hidden, when the user allowed
// notifications; clicking it brings the phone's tab forward.

export function askNotificationPermission(): void {
  if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
}

export function notifyIncomingCall(title: string, caller: string): (() => void) | undefined {
  if (!('Notification' in window) || Notification.permission !== 'granted' || document.visibilityState === 'visible') return undefined;
  const notification = new Notification(title, { body: caller, tag: 'voiplab-incoming-call', requireInteraction: true });
  notification.addEventListener('click', () => {
    window.focus();
    notification.close();
  });
  return () => notification.close();
}
