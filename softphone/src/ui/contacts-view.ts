// "Contacts": the IPBX's directory, with a search field (extension or name) and one click to call.
// Shown only once the directory has loaded (on voiplab, signed in).

import type { Contact } from '../directory/ipbx-directory.ts';
import { button, el } from './dom.ts';
import { t } from './i18n.ts';

const SHOWN_AT_MOST = 50;

export function contactsView(contacts: Contact[], ownExtension: string, onCall: (extension: string) => void): HTMLElement {
  const others = contacts.filter((contact) => contact.extension !== ownExtension);
  const search = el('input', { type: 'search', id: 'contacts-search', 'data-testid': 'contacts-search', placeholder: t('contactsSearch'), 'aria-label': t('contactsSearch'), autocomplete: 'off' });
  const list = el('ul', { 'aria-live': 'polite' });
  const render = () => {
    const query = search.value.trim().toLowerCase();
    const matching = others.filter((contact) => query === '' || contact.extension.toLowerCase().includes(query) || contact.displayName.toLowerCase().includes(query));
    list.replaceChildren(...(matching.length === 0 ? [el('li', { class: 'muted' }, t('contactsNone'))] : matching.slice(0, SHOWN_AT_MOST).map((contact) => el('li', {},
      button(`contact-${contact.extension}`, contact.displayName === '' ? contact.extension : `${contact.displayName} (${contact.extension})`, () => onCall(contact.extension), {
        class: 'link', 'aria-label': `${t('call')} ${contact.displayName === '' ? contact.extension : contact.displayName}`, 'data-registered': String(contact.registered),
      }),
      el('span', { class: contact.registered ? 'presence online' : 'presence', title: t(contact.registered ? 'contactOnline' : 'contactOffline') }, t(contact.registered ? 'contactOnline' : 'contactOffline'))))));
  };
  search.addEventListener('input', render);
  render();
  return el('section', { class: 'contacts', 'aria-labelledby': 'contacts-title', 'data-testid': 'contacts' },
    el('h2', { id: 'contacts-title' }, t('contacts')), search, list);
}
