/** Stream topic of robot (chat) messages — docs/dingtalk.md §2. */
export const ROBOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get";

/** Stream topic of interactive-card actions (回传请求 buttons) — docs/dingtalk.md §3.6. */
export const CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback";
