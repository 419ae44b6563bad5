import type { ResponseMessage } from '../../api/index.js';
import { confirm, escalate, failure, inform, inquire, sessionEnded } from './drafts.js';
import type { AgentReply, AgentScript, AgentSessionInfo, AgentTurn } from './types.js';

/**
 * The emulator's default agent: deterministic, answers by trigger phrases (case-insensitive,
 * checked in the order below). Documented in docs/emulator.md.
 *
 * 1. An answer to a pending order-number `Inquire` (the message's `inReplyToMessageId` is the
 *    Inquire's id, or the text contains digits) → `Inform` with a `LookupOrder` action result.
 * 2. An answer to a pending cancel `Confirm`: yes → `Inform` with a `CancelOrder` action result;
 *    anything else → `Inform` "I won't cancel...".
 * 3. "end the chat" / "goodbye" → `Inform` + `SessionEnded` (reason `Action`); the session is
 *    then ended server-side.
 * 4. "human" / "agent please" / "real person" → `Inform` + `Escalate` to a queue.
 * 5. "break" / "fail" → `Failure` (code `ACTION_FAILED`).
 * 6. "cancel" → `Confirm` to cancel an order.
 * 7. "order" → with digits in the text, the `LookupOrder` result directly; else an `Inquire`
 *    for the order number.
 * 8. "lightning" / "rich content" → a `LightningChunk` (a type the v1 API does not document)
 *    followed by an `Inform`.
 * 9. "return policy" → `Inform` with a cited reference (a knowledge article link).
 * 10. "variables" → `Inform` listing the session's variables as JSON.
 * 11. Anything else → `Inform` echoing the text: `You said: "<text>". ...`.
 */

/** The greeting of the default agent. */
export const DEFAULT_GREETING =
  "Hi, I'm the Agentforce emulator, an AI service assistant. How can I help you?";

/** Action type of the order lookup the default agent runs. */
export const LOOKUP_ORDER_INPUT = 'copilotActionInput/LookupOrder';
/** Output type of the order lookup. */
export const LOOKUP_ORDER_OUTPUT = 'copilotActionOutput/LookupOrder';
/** Action type of the order cancellation. */
export const CANCEL_ORDER_INPUT = 'copilotActionInput/CancelOrder';
/** Output type of the order cancellation. */
export const CANCEL_ORDER_OUTPUT = 'copilotActionOutput/CancelOrder';
/** The queue id the default agent escalates to. */
export const ESCALATION_QUEUE_ID = '00Gxx000000AbCdEAF';
/** The knowledge article the default agent cites for "return policy". */
export const RETURN_POLICY_ARTICLE = 'ka0xx000000AbCdEAF';

/** The default greeting as a reply. */
export function defaultGreeting(_session: AgentSessionInfo): AgentReply {
  return [inform(DEFAULT_GREETING, { feedbackId: '', planId: '' })];
}

function lastReply(turn: AgentTurn): readonly ResponseMessage[] {
  return turn.history.at(-1)?.reply ?? [];
}

function pending(turn: AgentTurn, type: string, actionType: string): ResponseMessage | undefined {
  return lastReply(turn).find((m) => {
    if (m.type !== type) return false;
    const items = type === 'Inquire' ? m.collect : m.confirm;
    if (!Array.isArray(items)) return false;
    return items.some((item: unknown) => {
      if (typeof item !== 'object' || item === null) return false;
      const rec = item as { targetType?: unknown; type?: unknown };
      return rec.targetType === actionType || rec.type === actionType;
    });
  });
}

function digitsIn(text: string): string | undefined {
  return /\d[\d-]*/.exec(text)?.[0];
}

function orderResult(orderNumber: string, said: string): AgentReply {
  return [
    inform(
      `Order ${orderNumber} has shipped and should arrive in 2 business days. You said: "${said}".`,
      {
        result: [
          {
            type: LOOKUP_ORDER_OUTPUT,
            property: '',
            value: {
              orderNumber,
              status: 'Shipped',
              carrier: 'UPS',
              trackingNumber: `1Z${orderNumber.replace(/\D/g, '').padStart(8, '0')}`,
            },
          },
        ],
      },
    ),
  ];
}

const YES = /^\s*(yes|y|yeah|yep|sure|ok|okay|confirm|please do)\b/i;

/** Answers one turn the way the default agent does (see the module comment). */
export function defaultReply(turn: AgentTurn): AgentReply {
  const text = turn.text;
  const lower = text.toLowerCase();
  const said = text;

  if (turn.message.type === 'Cancel') {
    return [inform('Okay, I stopped what I was doing.')];
  }
  if (turn.message.type === 'TransferFailed') {
    return [inform('No human agent is available right now. I can keep helping you here.')];
  }
  if (turn.message.type === 'TransferSucceeded') {
    return [inform('You are now connected with a human agent.')];
  }

  const askedOrder = pending(turn, 'Inquire', LOOKUP_ORDER_INPUT);
  if (askedOrder) {
    const digits = digitsIn(text);
    if (turn.inReplyToMessageId === askedOrder.id || digits !== undefined) {
      let orderNumber = digits;
      if (orderNumber === undefined && turn.message.type === 'Reply') {
        const first: unknown = turn.message.reply[0];
        const value =
          typeof first === 'object' && first !== null
            ? (first as { value?: unknown }).value
            : first;
        orderNumber =
          typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
      }
      return orderResult(orderNumber ?? (text.trim() || 'unknown'), said);
    }
  }

  const askedCancel = pending(turn, 'Confirm', CANCEL_ORDER_INPUT);
  if (askedCancel) {
    if (
      YES.test(text) ||
      (turn.message.type === 'Reply' && turn.inReplyToMessageId === askedCancel.id)
    ) {
      return [
        inform('Your order has been cancelled. A refund will follow in 3-5 business days.', {
          result: [
            {
              type: CANCEL_ORDER_OUTPUT,
              property: '',
              value: { cancelled: true, refundStatus: 'Pending' },
            },
          ],
        }),
      ];
    }
    if (turn.inReplyToMessageId === askedCancel.id || /^\s*(no|n|nope|don't)\b/i.test(text)) {
      return [inform("Okay, I won't cancel anything.")];
    }
  }

  if (/\bend the chat\b|\bgoodbye\b/.test(lower)) {
    return [inform('Thanks for chatting. Goodbye!'), sessionEnded('Action')];
  }
  if (/\bhuman\b|\bagent please\b|\breal person\b/.test(lower)) {
    return [
      inform("I'm transferring you to a human agent. Please wait a moment."),
      escalate([{ type: 'Salesforce:Core:Queue:Id', value: ESCALATION_QUEUE_ID }]),
    ];
  }
  if (/\bbreak\b|\bfail/.test(lower)) {
    return [
      failure('Sorry, something went wrong while I was working on that.', [
        'The action LookupOrder failed: emulated failure',
      ]),
    ];
  }
  if (/\bcancel\b/.test(lower)) {
    const orderNumber = digitsIn(text) ?? '00012345';
    return [
      confirm(`Do you want me to cancel order ${orderNumber}?`, [
        { type: CANCEL_ORDER_INPUT, property: '', value: { orderNumber } },
      ]),
    ];
  }
  if (/\border\b|\borders\b/.test(lower)) {
    const digits = digitsIn(text);
    if (digits !== undefined) return orderResult(digits, said);
    return [
      inquire('Sure, I can look that up. What is your order number?', [
        { targetType: LOOKUP_ORDER_INPUT, targetProperty: 'orderNumber', data: null },
      ]),
    ];
  }
  if (/\blightning\b|\brich content\b/.test(lower)) {
    return [
      {
        type: 'LightningChunk',
        value: { component: 'c:orderCard', attributes: { orderNumber: '00012345' } },
      },
      inform(`Here is a card for your order. You said: "${said}".`),
    ];
  }
  if (/\breturn policy\b/.test(lower)) {
    const claim = 'You can return any item within 30 days of delivery';
    const message = `${claim}. You said: "${said}".`;
    return [
      inform(message, {
        citedReferences: [
          {
            type: 'link',
            value: `https://example.my.salesforce.com/${RETURN_POLICY_ARTICLE}`,
            recordId: RETURN_POLICY_ARTICLE,
            label: 'Return Policy',
            inlineMetadata: [{ claim, location: claim.length }],
          },
        ],
      }),
    ];
  }
  if (/\bvariables\b/.test(lower)) {
    return [inform(`Session variables: ${JSON.stringify(turn.sessionVariables)}`)];
  }
  return [inform(`You said: "${said}". This is the Agentforce emulator's answer.`)];
}

/** The default agent as a script. */
export const defaultAgent: AgentScript = {
  reply: defaultReply,
  greeting: defaultGreeting,
};
