'use strict';

(function () {
  const MAX_ITEMS = 50;
  // EventSource has no wildcard listener: named events are only delivered to listeners for that exact name.
  const KNOWN_EVENTS = ['message', 'info', 'success', 'warning', 'alert'];

  const $ = (id) => document.getElementById(id);

  function setState(el, state) {
    el.textContent = state;
    el.dataset.state = state;
  }

  function prepend(list, item) {
    list.insertBefore(item, list.firstChild);
    while (list.children.length > MAX_ITEMS) {
      list.removeChild(list.lastChild);
    }
  }

  function span(cls, text) {
    const s = document.createElement('span');
    s.className = cls;
    s.textContent = text;
    return s;
  }

  document.querySelectorAll('.port').forEach((el) => { el.textContent = location.port || '80'; });

  // The clock stream.
  const clock = new EventSource('api/v1/sse');
  let opens = 0;
  let received = 0;
  clock.addEventListener('open', () => {
    opens++;
    $('reconnects').textContent = String(Math.max(0, opens - 1));
    setState($('state'), 'open');
  });
  clock.addEventListener('error', () => {
    // The browser retries by itself; the next 'open' clears this and counts as a reconnect.
    setState($('state'), 'error');
  });
  clock.addEventListener('update', (e) => {
    let update;
    try {
      update = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    received++;
    $('clock-time').textContent = update.time;
    $('clock-message').textContent = update.message;
    $('last-id').textContent = e.lastEventId || '–';
    $('received').textContent = String(received);
    const li = document.createElement('li');
    li.append(span('time', update.time), span('text', update.message), span('id', '#' + e.lastEventId));
    prepend($('updates'), li);
  });

  // The notification stream.
  const notes = new EventSource('api/v1/notifications');
  const listening = new Set();
  notes.addEventListener('open', () => setState($('notify-state'), 'open'));
  notes.addEventListener('error', () => setState($('notify-state'), 'error'));

  function showNotification(e) {
    const li = document.createElement('li');
    li.dataset.event = e.type;
    const head = document.createElement('div');
    head.className = 'note-head';
    head.append(span('badge badge-' + (KNOWN_EVENTS.includes(e.type) ? e.type : 'custom'), e.type),
      span('id', '#' + e.lastEventId), span('time', new Date().toLocaleTimeString()));
    const body = document.createElement('div');
    body.className = 'note-body';
    body.textContent = e.data; // Never innerHTML: the text comes from anyone who can POST.
    li.append(head, body);
    prepend($('notifications'), li);
    $('notifications-empty').hidden = true;
  }

  function listenFor(name) {
    if (!listening.has(name)) {
      listening.add(name);
      notes.addEventListener(name, showNotification);
    }
  }
  KNOWN_EVENTS.forEach(listenFor);

  // The server's "gap" event: notifications this page should have had were lost (it was away too long, or the
  // nodes' shared store dropped some). Said once in the list; the stream goes on after it.
  notes.addEventListener('gap', () => {
    const li = document.createElement('li');
    li.dataset.event = 'gap';
    li.className = 'note-gap';
    li.textContent = 'Some notifications were missed.';
    prepend($('notifications'), li);
    $('notifications-empty').hidden = true;
  });

  $('notify-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('notify-text').value;
    const name = $('notify-event').value.trim();
    const result = $('notify-result');
    if (name) {
      listenFor(name);
    }
    const url = 'api/v1/notifications' + (name ? '?event=' + encodeURIComponent(name) : '');
    try {
      const resp = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain;charset=utf-8' },
        body: text,
      });
      const json = await resp.json();
      if (resp.status === 202) {
        result.dataset.kind = 'ok';
        result.textContent = 'Broadcast as event #' + json.id;
        $('notify-text').value = '';
      } else {
        result.dataset.kind = 'error';
        result.textContent = (json.field ? json.field + ': ' : '') + json.error;
      }
    } catch (err) {
      result.dataset.kind = 'error';
      result.textContent = 'Could not reach the server: ' + err.message;
    }
  });

  // Ctrl+Enter sends, as in most chat boxes.
  $('notify-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      $('notify-form').requestSubmit();
    }
  });

  // The chat: a POST whose answer is an event stream, which EventSource (GET only) cannot send, so the page reads
  // the body with fetch and parses the SSE itself. Stop aborts the fetch; the server sees the connection go and
  // stops generating.
  let chatAbort = null;

  // Feeds text to a minimal SSE parser: lines end at CRLF, LF or CR; a blank line dispatches the event; "event:"
  // and "data:" fields (one optional space after the colon), comments and other fields ignored.
  function sseParser(onEvent) {
    let buffer = '';
    let type = '';
    let data = [];
    function line(l) {
      if (l === '') {
        if (data.length) {
          onEvent(type || 'message', data.join('\n'));
        }
        type = '';
        data = [];
        return;
      }
      if (l.startsWith(':')) {
        return;
      }
      const colon = l.indexOf(':');
      const field = colon < 0 ? l : l.slice(0, colon);
      let value = colon < 0 ? '' : l.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        type = value;
      } else if (field === 'data') {
        data.push(value);
      }
    }
    return function feed(text) {
      buffer += text;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer);
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) {
          return;
        }
        line(buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
    };
  }

  function chatEnded(state, message) {
    setState($('chat-state'), state);
    $('chat-result').dataset.kind = state === 'error' ? 'error' : 'ok';
    $('chat-result').textContent = message;
    $('chat-send').disabled = false;
    $('chat-stop').disabled = true;
    chatAbort = null;
  }

  $('chat-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (chatAbort) {
      return;
    }
    const answer = $('chat-answer');
    answer.textContent = '';
    const query = '?tokens=' + encodeURIComponent($('chat-tokens').value)
      + '&interval=' + encodeURIComponent($('chat-interval').value);
    chatAbort = new AbortController();
    $('chat-send').disabled = true;
    $('chat-stop').disabled = false;
    setState($('chat-state'), 'streaming');
    $('chat-result').textContent = '';
    let tokens = 0;
    let done = false;
    try {
      const resp = await fetch('api/v1/chat' + query, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain;charset=utf-8', Accept: 'text/event-stream' },
        body: $('chat-prompt').value,
        signal: chatAbort.signal,
      });
      if (resp.status !== 200) {
        const json = await resp.json().catch(() => ({ error: 'HTTP ' + resp.status }));
        chatEnded('error', (json.field ? json.field + ': ' : '') + json.error);
        return;
      }
      const feed = sseParser((type, data) => {
        if (type === 'token') {
          answer.textContent += (tokens++ ? ' ' : '') + data; // Text, never markup.
        } else if (type === 'done') {
          done = true;
        }
      });
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) {
          break;
        }
        feed(value);
      }
      chatEnded(done ? 'done' : 'error', done ? tokens + ' tokens' : 'the stream ended early');
    } catch (err) {
      if (err.name === 'AbortError') {
        chatEnded('stopped', 'Stopped after ' + tokens + ' tokens');
      } else {
        chatEnded('error', 'Could not reach the server: ' + err.message);
      }
    }
  });

  $('chat-stop').addEventListener('click', () => {
    if (chatAbort) {
      chatAbort.abort();
    }
  });

  async function pollStats() {
    try {
      const resp = await fetch('api/v1/stats', { cache: 'no-store' });
      const stats = await resp.json();
      $('connections').textContent = String(stats.connections);
    } catch (err) {
      $('connections').textContent = '?';
    }
  }
  pollStats();
  setInterval(pollStats, 2000);
})();
