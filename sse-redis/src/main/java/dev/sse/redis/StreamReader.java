package dev.sse.redis;

import dev.sse.core.SseEvent;
import dev.sse.core.spi.Backplane;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.sync.RedisStreamCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's read loop: a blocking {@code XREAD BLOCK} on a connection of its own (never the multiplexed one that
 * publishes, which a blocked read would stall), handing every entry to the hub in stream order.
 *
 * <p>A read that finds the stream busy ({@value #BUSY_READ} entries or more) is followed by a pause of 0.3 ms, so the
 * next one takes a batch instead of the few entries that came in while this one was handled ({@link #pauseAfter}).
 *
 * <p>After any failure it drops its connection, waits (50 ms doubling to 2 s), connects again, and checks that the
 * entry it delivered last is still in the stream before reading on after it: if it is not (trimmed meanwhile, or
 * Redis came back empty) it tells the hub {@link Backplane.Inbound#gap()} and reads on from the same position, which
 * new entries follow because Redis numbers them by its clock.
 *
 * <p>Threads: {@link #run} on its own daemon thread; {@link #stop} from the thread closing the backplane. The
 * position and connection are confined to the loop's thread; {@code running} and {@code reconnected} are atomic, and the
 * read counters are adders any thread may sum.
 */
final class StreamReader implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamReader.class);
    static final Duration BLOCK = Duration.ofSeconds(1);
    private static final int COUNT = 500;
    /** A read returning at least this many entries finds the stream busy. */
    static final int BUSY_READ = 4;
    /** How long the loop lets a busy stream gather entries before it reads again. */
    static final long BUSY_PAUSE_NANOS = 300_000;
    private static final long MAX_BACKOFF_MS = 2000;

    private final RedisAccess redis;
    private final String key;
    private final Duration readTimeout;
    private final Backplane.Inbound inbound;
    private final RedisHistory history;
    private final Duration maxAge;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Set by Lettuce's event loop when this loop's connection dropped, in case Lettuce reconnects it by itself. */
    private final AtomicBoolean reconnected = new AtomicBoolean();
    private final LongAdder reads = new LongAdder();
    private final LongAdder entries = new LongAdder();

    // Confined to the loop's thread, except that stop() closes the connection to wake a blocked read.
    private StreamId position;
    private volatile RedisAccess.Link connection;
    private volatile CompletableFuture<Void> lastClose = CompletableFuture.completedFuture(null);
    private long lastAgeTrim;

    StreamReader(RedisAccess redis, String key, Duration commandTimeout, Backplane.Inbound inbound,
                 RedisHistory history, StreamId start, Duration maxAge, Clock clock) {
        this.redis = redis;
        this.key = key;
        this.readTimeout = BLOCK.plus(commandTimeout).plus(Duration.ofSeconds(1));
        this.inbound = inbound;
        this.history = history;
        this.position = start;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    @Override
    public void run() {
        long backoff = 50;
        boolean failing = false;
        while (running.get()) {
            try {
                RedisAccess.Link c = connection;
                if (c == null) {
                    c = connect();
                    if (position == null) {
                        position = end(c.sync(), key);
                        history.startAt(position);
                        LOG.info("stream {}: reading after {}", key, position);
                    } else {
                        verifyPosition(c.sync());
                    }
                }
                List<StreamMessage<String, String>> batch = read(c.sync());
                if (reconnected.getAndSet(false)) {
                    verifyPosition(c.sync());
                }
                for (StreamMessage<String, String> m : batch) {
                    deliver(m);
                }
                reads.increment();
                entries.add(batch.size());
                trimByAge(c.sync());
                long pause = pauseAfter(batch.size());
                if (pause > 0) {
                    LockSupport.parkNanos(pause);
                }
                if (failing) {
                    LOG.info("stream {}: reading again after {}", key, position);
                    failing = false;
                }
                backoff = 50;
            } catch (RuntimeException e) {
                if (!running.get()) {
                    break;
                }
                if (!failing) {
                    LOG.warn("stream {}: read failed, retrying until Redis answers: {}", key, e.toString());
                    failing = true;
                } else {
                    LOG.debug("stream {}: read failed again: {}", key, e.toString());
                }
                closeConnection();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            } catch (Error e) {
                LOG.error("stream {}: read loop ends", key, e);
                throw e;
            }
        }
        closeConnection();
    }

    private RedisAccess.Link connect() {
        RedisAccess.Link c = redis.connect();
        c.connection().setTimeout(readTimeout);
        c.connection().addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                // Only the live connection matters: one this loop dropped itself is checked on reconnecting.
                if (connection == c) {
                    reconnected.set(true);
                }
            }
        });
        connection = c;
        reconnected.set(false);
        if (!running.get()) {
            closeConnection();
            throw new IllegalStateException("backplane closed");
        }
        return c;
    }

    /**
     * How long to wait before the next read after one that returned {@code entries}: on a busy stream a short pause,
     * so that the next read takes a batch. Each read is a command sent from this thread (waking Lettuce's event loop)
     * and a reply that wakes this thread again; with 16 threads publishing, reads came back with 9 entries each, and
     * the read-back cost a third of the node's publish rate. A pause of 0.3 ms made them 32 each (3.4 times fewer
     * reads). An event on a quiet stream is read at once, as before; on a busy one it waits at most the pause more.
     */
    static long pauseAfter(int entries) {
        return entries >= BUSY_READ ? BUSY_PAUSE_NANOS : 0;
    }

    /** Reads so far, and the entries they returned: how well a busy stream is batched. */
    long[] readsAndEntries() {
        return new long[] {reads.sum(), entries.sum()};
    }

    @SuppressWarnings("unchecked")
    private List<StreamMessage<String, String>> read(RedisStreamCommands<String, String> commands) {
        return commands.xread(XReadArgs.Builder.block(BLOCK.toMillis()).count(COUNT),
                XReadArgs.StreamOffset.from(key, position.toString()));
    }

    private void deliver(StreamMessage<String, String> m) {
        StreamId id = StreamId.parse(m.getId());
        position = id;
        SseEvent event;
        try {
            event = EntryCodec.decode(m.getId(), m.getBody());
        } catch (IllegalArgumentException e) {
            LOG.warn("stream {} entry {} is not an event; skipped: {}", key, m.getId(), e.getMessage());
            return;
        }
        try {
            inbound.deliver(EntryCodec.topic(m.getBody()), event);
        } catch (RuntimeException e) {
            // The hub's failure, not Redis's: reconnecting would not help, and the next entry must still go out.
            LOG.warn("stream {}: the hub failed to take entry {}", key, m.getId(), e);
        }
    }

    /** After a reconnect: is the entry delivered last still there? If not, events may have been lost. */
    private void verifyPosition(RedisStreamCommands<String, String> commands) {
        if (position.equals(StreamId.ZERO)) {
            return;
        }
        String p = position.toString();
        if (!commands.xrange(key, Range.create(p, p)).isEmpty()) {
            return;
        }
        StreamId newest = end(commands, key);
        if (newest.compareTo(position) < 0) {
            LOG.warn("stream {}: its newest entry {} is older than {} delivered here: Redis lost entries (restarted "
                    + "empty, or a replica promoted without them?); events may be missing, telling the clients", key,
                    newest, position);
        } else {
            LOG.warn("stream {}: entry {} delivered here was trimmed while this node could not read; events may be "
                    + "missing, telling the clients", key, position);
        }
        history.clearMirror();
        inbound.gap();
    }

    private void trimByAge(RedisStreamCommands<String, String> commands) {
        if (maxAge == null) {
            return;
        }
        long now = clock.millis();
        if (now - lastAgeTrim < Math.max(1000, maxAge.toMillis() / 10)) {
            return;
        }
        lastAgeTrim = now;
        long minMillis = Math.max(0, now - maxAge.toMillis());
        commands.xtrim(key, XTrimArgs.Builder.minId(minMillis + "-0").approximateTrimming());
    }

    /** @return the id of the stream's newest entry, or {@code 0-0} if it is empty or missing */
    static StreamId end(RedisStreamCommands<String, String> commands, String key) {
        List<StreamMessage<String, String>> newest = commands.xrevrange(key, Range.unbounded(),
                Limit.create(0, 1));
        return newest.isEmpty() ? StreamId.ZERO : StreamId.parse(newest.get(0).getId());
    }

    /**
     * Ends the loop: closing its connection fails a blocked read at once. The stage completes once the connection is
     * closed; nothing waits for it here.
     */
    CompletableFuture<Void> stop() {
        running.set(false);
        return closeConnection();
    }

    /**
     * The stage of the last close this reader started, whoever started it: once the loop's thread has ended, it
     * covers a connection that the loop opened after {@link #stop()} looked (a node closed while it was connecting).
     */
    CompletableFuture<Void> lastClose() {
        return lastClose;
    }

    private CompletableFuture<Void> closeConnection() {
        RedisAccess.Link c = connection;
        connection = null;
        if (c != null) {
            try {
                // Never waits: a close can hang on a connection whose handshake never finished.
                CompletableFuture<Void> closing = c.close();
                lastClose = closing;
                return closing;
            } catch (RuntimeException e) {
                LOG.debug("stream {}: closing the read connection failed", key, e);
            }
        }
        return CompletableFuture.completedFuture(null);
    }
}
