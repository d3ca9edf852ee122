package dev.sse.redis;

import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisStreamCommands;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RedisBackplane}'s history: the stream itself, with a small mirror of the events this node delivered last,
 * so that the reconnect storm after a deploy replays from memory instead of one Redis round trip per client.
 *
 * <p>How {@code replay(lastEventId, upToSequence)} resolves:
 * <ul>
 *   <li>an id that is not a stream id ({@code 1718000000000-0}): nothing, and a gap;</li>
 *   <li>an id the mirror holds: the mirror's events after it, up to the sequence;</li>
 *   <li>otherwise {@code XRANGE} from the id to the entry of {@code upToSequence} (pages of
 *       {@value #PAGE} entries): if the stream still holds the id, what follows it without a gap; if not (trimmed,
 *       lost in a Redis restart, never there) what the stream holds after it, and a gap.</li>
 * </ul>
 * Events replayed from the stream that this node never delivered carry sequence 1 in their {@link RecordedEvent}: the
 * hub uses only their frames and topics.
 *
 * <p>Threads: {@link #append} on the backplane's reader thread under the hub's lock, {@link #clearMirror} and
 * {@link #startAt} on the reader thread, {@link #replay} on any thread. This object's monitor guards every field and
 * is never held across a Redis call.
 */
final class RedisHistory implements EventHistory {

    private static final Logger LOG = LoggerFactory.getLogger(RedisHistory.class);
    static final int PAGE = 500;
    /** Stream ids by hub sequence: enough to find the id of the sequence a channel registered at. */
    private static final int ID_RING = 1 << 12;

    /** Stream order of entry ids; an id that is not one sorts past all, so a doubt ends a skip (see Replay.ahead). */
    static final Comparator<String> STREAM_ORDER = (a, b) -> {
        StreamId x = StreamId.parse(a);
        StreamId y = StreamId.parse(b);
        if (x == null || y == null) {
            return x == null ? (y == null ? 0 : 1) : -1;
        }
        return x.compareTo(y);
    };

    private final String key;
    private final int mirrorEvents;
    private final long mirrorBytes;
    private final Supplier<RedisStreamCommands<String, String>> redis;

    // Guarded by this.
    private final ArrayDeque<RecordedEvent> mirror = new ArrayDeque<>();
    private final Map<String, Long> mirrorSequence = new HashMap<>();
    private long bytes;
    private final String[] idBySequence = new String[ID_RING];
    private long newestSequence;
    private StreamId start;

    RedisHistory(String key, int mirrorEvents, long mirrorBytes, Supplier<RedisStreamCommands<String, String>> redis) {
        this.key = key;
        this.mirrorEvents = mirrorEvents;
        this.mirrorBytes = mirrorBytes;
        this.redis = redis;
    }

    /** The stream position this node started reading after: what sequence 0 stands for. */
    synchronized void startAt(StreamId position) {
        start = position;
    }

    @Override
    public synchronized void append(RecordedEvent event) {
        idBySequence[(int) (event.sequence() % ID_RING)] = event.id();
        newestSequence = event.sequence();
        if (mirrorEvents == 0) {
            return;
        }
        mirror.addLast(event);
        mirrorSequence.put(event.id(), event.sequence());
        bytes += event.frame().length();
        while (mirror.size() > mirrorEvents || (bytes > mirrorBytes && mirror.size() > 1)) {
            RecordedEvent old = mirror.removeFirst();
            mirrorSequence.remove(old.id());
            bytes -= old.frame().length();
        }
    }

    /** Forgets the mirror after events were lost between two deliveries: it no longer follows the stream. */
    synchronized void clearMirror() {
        mirror.clear();
        mirrorSequence.clear();
        bytes = 0;
    }

    synchronized int mirrorSize() {
        return mirror.size();
    }

    @Override
    public Replay replay(String lastEventId, long upToSequence) {
        StreamId last = StreamId.parse(lastEventId);
        if (last == null) {
            return new Replay(List.of(), true);
        }
        StreamId upTo;
        synchronized (this) {
            Long from = mirrorSequence.get(lastEventId);
            if (from != null && from > upToSequence) {
                // Delivered here after the channel registered: its live frames up to it are queued and must go.
                return Replay.ahead(lastEventId, STREAM_ORDER);
            }
            if (from != null) {
                List<RecordedEvent> out = new ArrayList<>();
                for (Iterator<RecordedEvent> it = mirror.iterator(); it.hasNext(); ) {
                    RecordedEvent e = it.next();
                    if (e.sequence() > upToSequence) {
                        break;
                    }
                    if (e.sequence() > from) {
                        out.add(e);
                    }
                }
                return new Replay(out, false);
            }
            upTo = idOf(upToSequence);
        }
        if (upTo == null) {
            LOG.debug("replay after {}: the position of sequence {} is unknown here; reporting a gap", lastEventId,
                    upToSequence);
            return new Replay(List.of(), true);
        }
        return fromStream(last, upTo);
    }

    /** Called with the monitor held. */
    private StreamId idOf(long sequence) {
        if (sequence == 0) {
            return start;
        }
        if (sequence > newestSequence || sequence <= newestSequence - ID_RING) {
            return null;
        }
        return StreamId.parse(idBySequence[(int) (sequence % ID_RING)]);
    }

    private Replay fromStream(StreamId last, StreamId upTo) {
        RedisStreamCommands<String, String> commands = redis.get();
        if (last.compareTo(upTo) > 0) {
            // Strictly past this node's position (it saw the id on a node that reads faster): nothing to replay, no
            // gap if the id is real, and this node's live frames up to it are skipped, since the client has them.
            // At the position itself the client is simply up to date, which the range below answers.
            boolean held = !commands.xrange(key, Range.create(last.toString(), last.toString())).isEmpty();
            return held ? Replay.ahead(last.toString(), STREAM_ORDER) : new Replay(List.of(), true);
        }
        List<RecordedEvent> out = new ArrayList<>();
        boolean first = true;
        boolean held = false;
        StreamId from = last;
        while (true) {
            List<StreamMessage<String, String>> page = commands.xrange(key,
                    Range.create(from.toString(), upTo.toString()), Limit.create(0, PAGE));
            for (StreamMessage<String, String> m : page) {
                StreamId id = StreamId.parse(m.getId());
                if (first) {
                    first = false;
                    held = last.equals(id);
                    if (held) {
                        continue;
                    }
                }
                add(out, m, id);
            }
            first = false;
            if (page.size() < PAGE) {
                break;
            }
            from = StreamId.parse(page.get(page.size() - 1).getId()).next();
        }
        return new Replay(out, !held);
    }

    private void add(List<RecordedEvent> out, StreamMessage<String, String> m, StreamId id) {
        Map<String, String> fields = m.getBody();
        if (!fields.containsKey(EntryCodec.DATA)) {
            return;
        }
        SseEvent event;
        try {
            event = EntryCodec.decode(m.getId(), fields);
        } catch (IllegalArgumentException e) {
            LOG.warn("stream {} entry {} is not an event; not replayed: {}", key, m.getId(), e.getMessage());
            return;
        }
        Long sequence;
        synchronized (this) {
            sequence = mirrorSequence.get(m.getId());
        }
        out.add(new RecordedEvent(sequence != null ? sequence : 1, EntryCodec.topic(fields), SseFrame.of(event),
                Instant.ofEpochMilli(id.millis())));
    }

    @Override
    public String toString() {
        return "RedisHistory{" + key + "}";
    }
}
