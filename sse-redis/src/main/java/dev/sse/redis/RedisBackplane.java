package dev.sse.redis;

import dev.sse.core.SseEvent;
import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.EventHistory;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Backplane} on one Redis stream: hubs on many nodes, each built with a {@code RedisBackplane} on the same
 * stream, act as one hub. Every broadcast is an {@code XADD}; every node reads the stream and delivers each entry to
 * its own clients, so all clients see the same events in the same order with the same ids, and a client resumes on
 * any node with what it missed.
 *
 * <pre>{@code
 * Hub hub = Hub.builder()
 *         .backplane(RedisBackplane.builder("redis://127.0.0.1:6379").streamKey("sse:prices").build())
 *         .build();
 * String id = hub.broadcast(SseEvent.data("1.25"));     // "1718000000000-0": the stream entry id
 * }</pre>
 *
 * <h2>Ids</h2>
 * The SSE id of an event is its stream entry id ({@code <milliseconds>-<n>}), so ids increase across all nodes. An
 * event the application gives an id is refused ({@link IllegalArgumentException}): the entry id must be the SSE id for
 * resume to work on any node. Events without data (comments, a bare {@code retry}) are published too and delivered to
 * every node's clients without an id, as on a hub without a backplane; they are not replayed.
 *
 * <h2>The stream</h2>
 * One stream per hub (default key {@code sse:events}), the topic a field of each entry, so that one id orders every
 * topic. Each entry holds the fields {@code topic}, {@code event}, {@code data}, {@code retry} (milliseconds) and
 * {@code comment} that are present: absent data and empty data stay distinct. Each {@code XADD} trims the stream to
 * about {@link Builder#maxLength} entries ({@code MAXLEN ~}); with {@link Builder#maxAge}, the reader also trims older
 * entries ({@code XTRIM MINID ~}, by this node's clock) at most every tenth of that age.
 *
 * <h2>Reading and resume</h2>
 * {@link #start} resolves the stream's current end and one daemon thread, {@code sse-redis-reader-<key>}, reads on
 * after it with {@code XREAD BLOCK} on a connection of its own, handing entries to the hub (which only queues them).
 * The history ({@link #history()}) replays from a mirror of the last {@link Builder#mirrorSize} delivered events when
 * it holds the client's id, else from the stream; an id the stream no longer holds (trimmed, lost, or not a stream id)
 * resumes with a gap. A client that resumes on a node lagging behind the one it left (its Redis connection was down)
 * is ahead of that node: the node skips its live events up to the client's id, so none arrives twice.
 *
 * <h2>Redis outages</h2>
 * Commands are rejected while disconnected and at most {@value #REQUEST_QUEUE} may wait, so an outage never grows
 * memory; a broadcast fails within the command timeout (default 2 s) with {@link RedisUnavailableException}. Open
 * streams stay open (the hub's keep-alives go on). When Redis answers again the reader resumes after the last entry it
 * delivered, so nothing is lost; if that entry is gone (the stream was trimmed meanwhile, or Redis restarted empty)
 * the hub is told of a gap ({@link Backplane.Inbound#gap()}). New entries after a restart still have larger ids, since
 * Redis numbers them by its clock: unless that clock went back.
 *
 * <h2>Resources</h2>
 * A backplane made from a URI owns its {@link RedisClient} (event loops, timers) and shuts it down on {@link #close()};
 * one made from a given client leaves it running. Two connections per node: one shared, multiplexed, for {@code XADD}
 * and replays, one for the blocking read.
 *
 * <p>Threads: {@link #publish} and the history's {@code replay} from any thread; {@link #start} and {@link #close}
 * once each, by the hub.
 */
public final class RedisBackplane implements Backplane {

    private static final Logger LOG = LoggerFactory.getLogger(RedisBackplane.class);
    /** Most commands that may wait for Redis on the publishing connection. */
    static final int REQUEST_QUEUE = 10_000;
    /** How long after a failed first connect publishers fail without trying again. */
    private static final long RECONNECT_PAUSE_NANOS = 1_000_000_000L;

    private final RedisClient client;
    private final boolean ownsClient;
    private final String key;
    private final long maxLength;
    private final Duration maxAge;
    private final Duration commandTimeout;
    private final String where;
    private final RedisHistory history;
    private final Clock clock;

    private final Object lock = new Object();
    // Guarded by lock.
    private StatefulRedisConnection<String, String> connection;
    private StreamReader reader;
    private Thread readerThread;
    private boolean started;
    private boolean closed;
    private long failedConnectAt;
    /** Why the last broadcast failed, until one succeeds; read by {@link #unavailableReason()}. */
    private volatile String lastPublishFailure;

    private RedisBackplane(Builder b) {
        this.key = b.streamKey;
        this.maxLength = b.maxLength;
        this.maxAge = b.maxAge;
        this.commandTimeout = b.commandTimeout;
        this.clock = b.clock;
        if (b.client != null) {
            this.client = b.client;
            this.ownsClient = false;
            this.where = "stream " + key;
        } else {
            RedisURI uri = b.uri;
            uri.setTimeout(commandTimeout);
            this.client = RedisClient.create(uri);
            client.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE)
                    .autoReconnect(true)
                    .timeoutOptions(TimeoutOptions.enabled())
                    .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                    .build());
            this.ownsClient = true;
            this.where = "stream " + key + " at " + uri.getHost() + ":" + uri.getPort();
        }
        this.history = new RedisHistory(key, b.mirrorSize, b.mirrorBytes, () -> connection().sync());
    }

    /**
     * Makes a backplane with every default on the Redis at {@code uri}.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}, or {@code rediss://} for TLS
     * @return the backplane, not yet started
     * @throws IllegalArgumentException if the URI is not a Redis URI
     */
    public static RedisBackplane create(String uri) {
        return builder(uri).build();
    }

    /**
     * Starts a builder for the Redis at {@code uri}.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}, {@code redis://:password@host:6379/2}, {@code rediss://...}
     * @return a builder with every default
     * @throws IllegalArgumentException if the URI is not a Redis URI
     */
    public static Builder builder(String uri) {
        Objects.requireNonNull(uri, "uri");
        RedisURI parsed;
        try {
            parsed = RedisURI.create(uri);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("uri must be a Redis URI such as redis://host:6379 (was \"" + uri
                    + "\"): " + e.getMessage(), e);
        }
        return new Builder(parsed, null);
    }

    /**
     * Starts a builder on a client the application already has (made with its URI, {@code RedisClient.create(uri)});
     * the backplane opens its two connections on it and never shuts it down. Configure that client to reject commands
     * while disconnected with a bounded request queue, as a backplane made from a URI does, or an outage queues
     * broadcasts in memory.
     *
     * @param client the client
     * @return a builder with every default
     */
    public static Builder builder(RedisClient client) {
        return new Builder(null, Objects.requireNonNull(client, "client"));
    }

    /** @return the stream's key */
    public String streamKey() {
        return key;
    }

    /**
     * Resolves the stream's current end, then starts the reader thread after it. If Redis cannot be reached now the
     * reader resolves the end once it can; broadcasts fail until then.
     *
     * @param inbound the hub's side
     * @throws IllegalStateException if started before, or closed
     */
    @Override
    public void start(Inbound inbound) {
        Objects.requireNonNull(inbound, "inbound");
        synchronized (lock) {
            if (started || closed) {
                throw new IllegalStateException("a RedisBackplane starts once, before it is closed");
            }
            started = true;
        }
        StreamId start = null;
        try {
            start = StreamReader.end(connection().sync(), key);
            history.startAt(start);
            LOG.info("{}: reading after {}", where, start);
        } catch (RuntimeException e) {
            LOG.warn("{}: Redis is unreachable at start ({}); reading from the stream's end once it answers", where,
                    e.toString());
        }
        StreamReader r = new StreamReader(client, key, commandTimeout, inbound, history, start, maxAge, clock);
        Thread t = new Thread(r, "sse-redis-reader-" + key);
        t.setDaemon(true);
        synchronized (lock) {
            if (closed) {
                return;
            }
            reader = r;
            readerThread = t;
        }
        t.start();
    }

    /**
     * Appends the event to the stream with {@code XADD} (trimming it to about {@link Builder#maxLength} entries).
     *
     * @param topic the topic, or {@code null} for every channel
     * @param event the event, without an id
     * @return the entry id, which is the SSE id, or {@code null} for an event without data
     * @throws IllegalArgumentException if the event has an id
     * @throws RedisUnavailableException if Redis did not take it within the command timeout
     * @throws IllegalStateException if the backplane is closed
     */
    @Override
    public String publish(String topic, SseEvent event) {
        Objects.requireNonNull(event, "event");
        if (event.id() != null) {
            throw new IllegalArgumentException("event id must be null on a hub with a RedisBackplane: the stream "
                    + "entry id is the SSE id (was \"" + event.id() + "\")");
        }
        Map<String, String> fields = EntryCodec.encode(topic, event);
        String id;
        try {
            id = connection().sync().xadd(key, new XAddArgs().maxlen(maxLength).approximateTrimming(), fields);
        } catch (RedisException e) {
            RedisUnavailableException failure = new RedisUnavailableException(where + " did not take the event within "
                    + commandTimeout.toMillis() + " ms: " + e.getMessage(), e);
            lastPublishFailure = failure.getMessage();
            throw failure;
        } catch (RedisUnavailableException e) {
            lastPublishFailure = e.getMessage();
            throw e;
        }
        lastPublishFailure = null;
        return event.data() != null ? id : null;
    }

    @Override
    public EventHistory history() {
        return history;
    }

    /** Stops the reader, closes both connections, and shuts the client down if this backplane made it. */
    @Override
    public void close() {
        StreamReader r;
        Thread t;
        StatefulRedisConnection<String, String> c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            r = reader;
            t = readerThread;
            c = connection;
            connection = null;
        }
        if (r != null) {
            r.stop();
            t.interrupt();
            try {
                t.join(commandTimeout.plus(StreamReader.BLOCK).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (c != null) {
            c.close();
        }
        if (ownsClient) {
            client.shutdown(Duration.ZERO, commandTimeout);
        }
    }

    /** The shared, multiplexed connection for {@code XADD} and replays, opened on first use. */
    @Override
    public String unavailableReason() {
        synchronized (lock) {
            if (closed) {
                return "the backplane on " + where + " is closed";
            }
            if (connection != null && !connection.isOpen()) {
                return "connection to " + where + " is down";
            }
            if (connection == null && failedConnectAt != 0) {
                return where + " cannot be reached";
            }
            // A paused or overloaded Redis keeps the connection open: the last broadcast tells.
            return lastPublishFailure;
        }
    }

    private StatefulRedisConnection<String, String> connection() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the RedisBackplane on " + key + " is closed");
            }
            if (connection == null) {
                long now = System.nanoTime();
                if (failedConnectAt != 0 && now - failedConnectAt < RECONNECT_PAUSE_NANOS) {
                    // Publishers queued behind a failed connect fail at once instead of each waiting its own timeout.
                    throw new RedisUnavailableException(where + " cannot be reached (tried "
                            + (now - failedConnectAt) / 1_000_000 + " ms ago)", null);
                }
                try {
                    connection = client.connect(StringCodec.UTF8);
                    failedConnectAt = 0;
                } catch (RedisException e) {
                    failedConnectAt = System.nanoTime();
                    throw new RedisUnavailableException(where + " cannot be reached: " + e.getMessage(), e);
                }
            }
            return connection;
        }
    }

    @Override
    public String toString() {
        return "RedisBackplane{" + where + "}";
    }

    /**
     * Builds a {@link RedisBackplane}.
     *
     * <pre>{@code
     * RedisBackplane plane = RedisBackplane.builder("redis://10.0.0.5:6379")
     *         .streamKey("sse:prices").maxLength(50_000).maxAge(Duration.ofMinutes(10)).build();
     * }</pre>
     */
    public static final class Builder {
        private final RedisURI uri;
        private final RedisClient client;
        private String streamKey = "sse:events";
        private long maxLength = 10_000;
        private Duration maxAge;
        private int mirrorSize = 1000;
        private long mirrorBytes = 16L << 20;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private Clock clock = Clock.systemUTC();

        private Builder(RedisURI uri, RedisClient client) {
            this.uri = uri;
            this.client = client;
        }

        /**
         * Sets the stream's key; every node of one hub uses the same. Default {@code sse:events}.
         *
         * @param streamKey the key, e.g. {@code sse:prices}
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder streamKey(String streamKey) {
            if (streamKey == null || streamKey.isBlank()) {
                throw new IllegalArgumentException("streamKey must not be blank");
            }
            this.streamKey = streamKey;
            return this;
        }

        /**
         * Sets about how many entries the stream keeps ({@code XADD ... MAXLEN ~ n}): Redis trims whole nodes, so a
         * few more may stay. Bounds how far back a client can resume. Default 10,000.
         *
         * @param maxLength at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxLength(long maxLength) {
            if (maxLength < 1) {
                throw new IllegalArgumentException("maxLength must be at least 1 (was " + maxLength + ")");
            }
            this.maxLength = maxLength;
            return this;
        }

        /**
         * Also trims entries older than this ({@code XTRIM MINID ~}, by this node's clock). Default none: the length
         * alone bounds the stream.
         *
         * @param maxAge a positive age, or {@code null} for none
         * @return this builder
         * @throws IllegalArgumentException if zero or negative
         */
        public Builder maxAge(Duration maxAge) {
            if (maxAge != null && (maxAge.isZero() || maxAge.isNegative())) {
                throw new IllegalArgumentException("maxAge must be positive (was " + maxAge + ")");
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * Sets how many of the last delivered events this node keeps in memory to replay resumes without asking
         * Redis; also bounded by 16 MiB of encoded frames. Default 1000; 0 always asks Redis.
         *
         * @param mirrorSize events, at least 0
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder mirrorSize(int mirrorSize) {
            if (mirrorSize < 0) {
                throw new IllegalArgumentException("mirrorSize must not be negative (was " + mirrorSize + ")");
            }
            this.mirrorSize = mirrorSize;
            return this;
        }

        /**
         * Sets how long a broadcast may wait for Redis before it fails, and the connect timeout. Default 2 seconds.
         * The reader's blocking reads wait one second longer than their block time plus this.
         *
         * @param commandTimeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if zero or negative
         */
        public Builder commandTimeout(Duration commandTimeout) {
            if (commandTimeout == null || commandTimeout.isZero() || commandTimeout.isNegative()) {
                throw new IllegalArgumentException("commandTimeout must be positive (was " + commandTimeout + ")");
            }
            this.commandTimeout = commandTimeout;
            return this;
        }

        /**
         * Sets the clock that age trimming reads. Default the system clock.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the backplane; it connects when the hub starts it.
         *
         * @return the backplane
         */
        public RedisBackplane build() {
            return new RedisBackplane(this);
        }
    }
}
