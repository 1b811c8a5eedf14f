/**
 * The chat pages' script (an ES module, served compiled at `/chat/static/chat-client.js`): the card import on the
 * bots pages, and on a chat page the live room — streamed replies, durable turns, the drawer, message actions and
 * the composer. Text from the server goes in through textContent; only server-rendered HTML (the drawer, the rewind
 * preview) is set as HTML.
 */
import { countDownUndo, handleMessageActions } from './actions.js';
import { watchCardImport } from './card-import.js';
import { handleComposer } from './composer.js';
import { followLive } from './live.js';
import { Replies } from './replies.js';
import { Room } from './room.js';

watchCardImport();
const root = document.getElementById('chat-room');
if (root) {
  const room = new Room(root);
  const replies = new Replies(room);
  followLive(room, replies);
  handleMessageActions(room);
  countDownUndo();
  handleComposer(room);
}
