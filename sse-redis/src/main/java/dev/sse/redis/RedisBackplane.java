package dev.sse.redis;

import dev.sse.core.SseEvent;
import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.EventHistory;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * One stream per hub (default key {@code sse:{events}}), the topic a field of each entry, so that one id orders every
 * topic. On a Cluster one key lives on one shard; the braces are its hash tag, so any key a later version keeps beside
 * the stream ({@code sse:{events}:...}) lands on the same shard, and hubs with different names spread over the
 * shards. Each entry holds the fields {@code topic}, {@code event}, {@code data}, {@code retry} (milliseconds) and
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
 * <h2>Publishing</h2>
 * Every {@code XADD} of a node goes through one pipeline on a connection of its own: {@link #publish} (the hub's
 * {@code broadcast}) writes its command and waits for its own reply; {@link #publishAsync} (the hub's
 * {@code broadcastAsync}) returns at once. Commands of many threads, or of one thread in a loop, share network
 * round trips and flushes, and each caller gets its own id or its own failure. At most
 * {@value XaddPipeline#MAX_IN_FLIGHT} wait for replies; a call beyond that waits for a free place, at most the command
 * timeout, then fails with {@link RedisUnavailableException}. A command is never sent twice: when the connection drops,
 * what was in flight fails (it may have been appended) and the next broadcast opens a new connection.
 *
 * <h2>Redis outages</h2>
 * Commands are rejected while disconnected and at most {@value #REQUEST_QUEUE} may wait, so an outage never grows
 * memory; a broadcast fails within the command timeout (default 2 s) with {@link RedisUnavailableException}. With
 * Sentinel, each new connection asks a Sentinel for the current primary, so broadcasts fail fast during a failover and
 * go to the promoted replica once Sentinel names it. Replication is asynchronous: entries the old primary took but had
 * not sent to the replica are lost, and a node that had delivered one of them tells its clients of a gap. Open
 * streams stay open (the hub's keep-alives go on). When Redis answers again the reader resumes after the last entry it
 * delivered, so nothing is lost; if that entry is gone (the stream was trimmed meanwhile, or Redis restarted empty)
 * the hub is told of a gap ({@link Backplane.Inbound#gap()}). New entries after a restart still have larger ids, since
 * Redis numbers them by its clock: unless that clock went back.
 *
 * <h2>Resources</h2>
 * A backplane made from a URI owns its client (event loops, timers) and shuts it down on {@link #close()}; one made
 * from a given client leaves it running. Three connections per node: one for {@code XADD}s, one shared, multiplexed,
 * for replays, one for the blocking read.
 *
 * <p>Threads: {@link #publish}, {@link #publishAsync} and the history's {@code replay} from any thread; {@link #start} and {@link #close}
 * once each, by the hub.
 */
public final class RedisBackplane implements Backplane {

    private static final Logger LOG = LoggerFactory.getLogger(RedisBackplane.class);
    /** How long {@link #close} waits for its connections to close (no round trip: a channel closing). */
    private static final long CLOSE_WAIT_MILLIS = 1000;
    /** Most commands that may wait for Redis on the connection for replays. */
    static final int REQUEST_QUEUE = RedisAccess.REQUEST_QUEUE;
    /** How long after a failed first connect replays fail without trying again. */
    private static final long RECONNECT_PAUSE_NANOS = 1_000_000_000L;

    private final RedisAccess redis;
    private final String key;
    private final Duration maxAge;
    private final Duration commandTimeout;
    private final String where;
    private final RedisHistory history;
    private final XaddPipeline pipeline;
    private final Clock clock;

    private final Object lock = new Object();
    // Guarded by lock.
    private RedisAccess.Link connection;
    private StreamReader reader;
    private Thread readerThread;
    private boolean started;
    private boolean closed;
    private long failedConnectAt;

    private RedisBackplane(Builder b) {
        this.key = b.streamKey;
        this.maxAge = b.maxAge;
        this.commandTimeout = b.commandTimeout;
        this.clock = b.clock;
        this.redis = b.access != null ? b.access : RedisAccess.of(b.uri, commandTimeout);
        this.where = "stream " + key + " at " + redis.where();
        this.pipeline = new XaddPipeline(redis, key, b.maxLength, commandTimeout, where);
        this.history = new RedisHistory(key, b.mirrorSize, b.mirrorBytes, () -> connection().sync());
    }

    /**
     * Makes a backplane with every default on the Redis at {@code uri}.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}, {@code redis-sentinel://127.0.0.1:26379#mymaster},
     *            {@code redis-cluster://127.0.0.1:7000,127.0.0.1:7001}; see {@link #builder(String)}
     * @return the backplane, not yet started
     * @throws IllegalArgumentException if the URI is not a Redis URI
     */
    public static RedisBackplane create(String uri) {
        return builder(uri).build();
    }

    /**
     * Starts a builder for the Redis at {@code uri}, in one of three forms:
     * <ul>
     *   <li>one server: {@code redis://host:6379}, {@code redis://:password@host:6379/2}, {@code rediss://} for
     *       TLS;</li>
     *   <li>a primary that Sentinel watches (Lettuce's syntax): {@code redis-sentinel://s1:26379,s2:26379/0#mymaster}
     *       ({@code rediss-sentinel://} for TLS): each (re)connect asks a Sentinel for the current primary, so after a
     *       failover broadcasts resume on the promoted replica;</li>
     *   <li>a Cluster: {@code redis-cluster://n1:7000,n2:7000,n3:7000} ({@code rediss-cluster://} for TLS, the same
     *       user and password for each seed): any reachable seed is enough to find every node; the stream lives on
     *       the shard of its key's slot.</li>
     * </ul>
     * The backplane owns the client it makes and shuts it down on {@link #close()}.
     *
     * @param uri the URI
     * @return a builder with every default
     * @throws IllegalArgumentException if the URI is not a Redis URI
     */
    public static Builder builder(String uri) {
        Objects.requireNonNull(uri, "uri");
        RedisAccess.parse(uri);
        return new Builder(uri, null);
    }

    /**
     * Starts a builder on a client the application already has (made with its URI, {@code RedisClient.create(uri)},
     * a Sentinel URI too); the backplane opens its connections on it and never shuts it down. Configure that client
     * to reject commands while disconnected with a bounded request queue, and with command timeouts
     * ({@code TimeoutOptions.enabled()}), as a backplane made from a URI does, or an outage queues broadcasts in
     * memory.
     *
     * @param client the client
     * @return a builder with every default
     */
    public static Builder builder(RedisClient client) {
        return new Builder(null, RedisAccess.of(Objects.requireNonNull(client, "client")));
    }

    /**
     * Starts a builder on a Cluster client the application already has; as {@link #builder(RedisClient)}, and give
     * it topology refresh options (adaptive triggers) so that it finds a promoted replica.
     *
     * @param client the client
     * @return a builder with every default
     */
    public static Builder builder(RedisClusterClient client) {
        return new Builder(null, RedisAccess.of(Objects.requireNonNull(client, "client")));
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
        StreamReader r = new StreamReader(redis, key, commandTimeout, inbound, history, start, maxAge, clock);
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
     * Appends the event to the stream with {@code XADD} (trimming it to about {@link Builder#maxLength} entries) and
     * waits for its id. The command shares a pipeline with every other broadcast of this node, so many threads
     * broadcasting at once cost no round trip each.
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
        Map<String, String> fields = encode(topic, event);
        long deadline = System.nanoTime() + commandTimeout.toNanos();
        CompletableFuture<String> id = pipeline.append(fields, commandTimeout.toNanos(), true);
        try {
            // Lettuce times a command out from when it is sent. A call still queued behind an unanswered batch (or on
            // a client given without timeout options) is timed out here instead; it may still be appended later.
            String entry = id.get(Math.max(0, deadline - System.nanoTime()) + 250_000_000L, TimeUnit.NANOSECONDS);
            return event.data() != null ? entry : null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            // Thrown again here, so that the stack trace shows the broadcasting caller.
            throw new RedisUnavailableException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            id.cancel(false);
            throw new RedisUnavailableException(where + " did not take the event within " + commandTimeout.toMillis()
                    + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("interrupted while waiting for " + where, e);
        }
    }

    /**
     * Appends the event to the stream without waiting for Redis: the {@code XADD} joins this node's pipeline and the
     * stage completes with its entry id (or {@code null} for an event without data), or with a
     * {@link RedisUnavailableException} within the command timeout. Returns at once unless
     * {@value XaddPipeline#MAX_IN_FLIGHT} broadcasts of this node are still unanswered; then it waits for one to be
     * answered, at most the command timeout, so a loop publishing faster than Redis takes it runs at Redis's pace.
     * Events sent from one thread get increasing ids in the order of the calls.
     *
     * @param topic the topic, or {@code null} for every channel
     * @param event the event, without an id
     * @return completes with the entry id, or exceptionally
     * @throws IllegalArgumentException if the event has an id
     * @throws IllegalStateException if the backplane is closed
     */
    @Override
    public CompletionStage<String> publishAsync(String topic, SseEvent event) {
        Map<String, String> fields = encode(topic, event);
        CompletableFuture<String> id = pipeline.append(fields, commandTimeout.toNanos(), false);
        return event.data() != null ? id : id.thenApply(entry -> null);
    }

    private static Map<String, String> encode(String topic, SseEvent event) {
        Objects.requireNonNull(event, "event");
        if (event.id() != null) {
            throw new IllegalArgumentException("event id must be null on a hub with a RedisBackplane: the stream "
                    + "entry id is the SSE id (was \"" + event.id() + "\")");
        }
        return EntryCodec.encode(topic, event);
    }

    /** The reader's reads so far and the entries they returned; zeros before it starts. */
    long[] readsAndEntries() {
        StreamReader r;
        synchronized (lock) {
            r = reader;
        }
        return r == null ? new long[2] : r.readsAndEntries();
    }

    @Override
    public EventHistory history() {
        return history;
    }

    /** Stops the reader, closes every connection, and shuts the client down if this backplane made it. */
    @Override
    public void close() {
        StreamReader r;
        Thread t;
        RedisAccess.Link c;
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
        CompletableFuture<Void> readerClosed = CompletableFuture.completedFuture(null);
        if (r != null) {
            readerClosed = r.stop();
            t.interrupt();
            try {
                t.join(commandTimeout.plus(StreamReader.BLOCK).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            readerClosed = CompletableFuture.allOf(readerClosed, r.lastClose());
        }
        CompletableFuture<Void> closing = CompletableFuture.allOf(readerClosed, pipeline.close(),
                c != null ? c.close() : CompletableFuture.completedFuture(null));
        long wait = Math.min(commandTimeout.toMillis(), CLOSE_WAIT_MILLIS);
        try {
            // The client's shutdown closes whatever is still open, warning once for each connection already closing.
            closing.get(wait, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("{}: connections not closed within {} ms; the client's shutdown closes them", where, wait, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        redis.shutdown(commandTimeout);
    }

    @Override
    public String unavailableReason() {
        synchronized (lock) {
            if (closed) {
                return "the backplane on " + where + " is closed";
            }
        }
        return pipeline.unavailableReason();
    }

    /**
     * The connection for replays and the start position, opened on first use and again after it drops: a new one
     * asks Sentinel for the current primary, where Lettuce's own reconnects would keep trying the old one.
     */
    private RedisAccess.Link connection() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the RedisBackplane on " + key + " is closed");
            }
            if (connection != null && !connection.connection().isOpen()) {
                connection.close();
                connection = null;
            }
            if (connection == null) {
                long now = System.nanoTime();
                if (failedConnectAt != 0 && now - failedConnectAt < RECONNECT_PAUSE_NANOS) {
                    throw new RedisUnavailableException(where + " cannot be reached (tried "
                            + (now - failedConnectAt) / 1_000_000 + " ms ago)", null);
                }
                try {
                    RedisAccess.Link c = redis.connect();
                    c.connection().addListener(new RedisConnectionStateListener() {
                        @Override
                        public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                            synchronized (lock) {
                                if (connection == c) {
                                    connection = null;
                                }
                            }
                            c.close();
                        }
                    });
                    connection = c;
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
        private final String uri;
        private final RedisAccess access;
        private String streamKey = "sse:{events}";
        private long maxLength = 10_000;
        private Duration maxAge;
        private int mirrorSize = 1000;
        private long mirrorBytes = 16L << 20;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private Clock clock = Clock.systemUTC();

        private Builder(String uri, RedisAccess access) {
            this.uri = uri;
            this.access = access;
        }

        /**
         * Sets the stream's key; every node of one hub uses the same. Default {@code sse:{events}}.
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
