import { expect } from "vitest";
import type {
  CardInboxItem,
  Emulator,
  RobotMessageInboxItem,
  SessionReplyInboxItem,
} from "../../src/dingtalk/emulator/emulator-types.ts";

/** The cards a person holds whose outTrackId starts with `prefix`, oldest first. */
export function cardsIn(emulator: Emulator, userId: string, prefix: string): CardInboxItem[] {
  return emulator
    .getInbox(userId)
    .filter((i): i is CardInboxItem => i.kind === "card" && i.outTrackId.startsWith(prefix));
}

/** The texts of the robot's messages (not chat replies) a person got, oldest first. */
export function robotTexts(emulator: Emulator, userId: string): string[] {
  return emulator
    .getInbox(userId)
    .filter((i): i is RobotMessageInboxItem => i.kind === "robotMessage" && i.msgKey === "sampleText")
    .map((m) => String(m.msgParam.content));
}

/** The robot's markdown messages (news such as a co-owner's summary) a person got, oldest first. */
export function robotMarkdowns(emulator: Emulator, userId: string): { title: string; text: string }[] {
  return emulator
    .getInbox(userId)
    .filter((i): i is RobotMessageInboxItem => i.kind === "robotMessage" && i.msgKey === "sampleMarkdown")
    .map((m) => ({ title: String(m.msgParam.title), text: String(m.msgParam.text) }));
}

/** The replies a person got through their messages' session webhooks, oldest first. */
export function sessionReplies(emulator: Emulator, userId: string): SessionReplyInboxItem[] {
  return emulator.getInbox(userId).filter((i): i is SessionReplyInboxItem => i.kind === "sessionReply");
}

/** Types a message as `userId` and returns the text of the bot's next reply (its JSON when it is not text). */
export async function say(emulator: Emulator, userId: string, text: string): Promise<string> {
  const before = sessionReplies(emulator, userId).length;
  expect(emulator.sendText(userId, text)).toBeTruthy();
  await expect.poll(() => sessionReplies(emulator, userId).length, { timeout: 10_000 }).toBeGreaterThan(before);
  const body = sessionReplies(emulator, userId).at(-1)!.body as { text?: { content?: string } };
  return body.text?.content ?? JSON.stringify(body);
}
