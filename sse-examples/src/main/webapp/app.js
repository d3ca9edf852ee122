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
