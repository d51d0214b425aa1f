// The ACK an INVITE client transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3).
// It belongs to the INVITE transaction (same branch); the ACK for a 2xx is the TU's, built from
// the dialog (§13.2.2.4), and never passes through here.

import { HeaderList, SipRequest, formatCSeq, type SipResponse } from '../message/index.ts';
import { TransactionError } from './transaction-errors.ts';

export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new HeaderList();
  // "The ACK MUST contain a single Via header field, and this MUST be equal to the top Via header
  // field of the original request."
  const topVia = invite.headers.getAll('Via')[0];
  if (topVia === undefined) throw new TransactionError('TRANSACTION_BAD_REQUEST', 'cannot ACK: the INVITE has no Via');
  headers.append('Via', topVia);
  // "If the INVITE request whose response is being acknowledged had Route header fields, those
  // header fields MUST appear in the ACK."
  for (const route of invite.headers.getLines('Route')) headers.append('Route', route);
  // §8.1.1.6: every request a UAC builds carries Max-Forwards 70.
  headers.append('Max-Forwards', '70');
  // "Call-ID, From, and Request-URI ... MUST be equal to the values of those header fields in the
  // request passed to the transport by the client transaction"; "The To header field in the ACK
  // MUST equal the To header field in the response being acknowledged".
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', response.headers.get('To') ?? '');
  headers.append('Call-ID', invite.callId);
  // "The CSeq header field in the ACK MUST contain the same value for the sequence number as was
  // present in the original request, but the method parameter MUST be equal to "ACK"."
  headers.append('CSeq', formatCSeq({ seq: invite.cseq.seq, method: 'ACK' }));
  const uri = 'clone' in invite.uri ? invite.uri.clone() : invite.uri;
  return new SipRequest('ACK', uri, headers);
}
