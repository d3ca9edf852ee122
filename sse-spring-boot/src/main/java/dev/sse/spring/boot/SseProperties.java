package dev.sse.spring.boot;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code sse.*} properties: the stream the starter serves, its hub, and how it ends on shutdown.
 *
 * <pre>
 * sse.path=/events
 * sse.keep-alive=15s
 * sse.retry=3s
 * sse.retry-jitter=2s
 * </pre>
 *
 * <p>Hub settings ({@code keep-alive}, {@code max-queued-*}, {@code history-*}, {@code slow-client-policy},
 * {@code gap-event}) apply
 * to the hub the starter creates, not to a {@code Hub} bean of the application's. Bound once at start-up.
 */
@ConfigurationProperties(prefix = "sse")
public class SseProperties {

    /** What a client whose queue is full gets. */
    public enum SlowClientPolicy {
        /** Close it; it reconnects with its Last-Event-ID and catches up from the history. */
        DISCONNECT,
        /** Discard its oldest queued events, counted as drops. */
        DROP_OLDEST,
        /** Keep only its newest queued event per event type, then drop the oldest. */
        COALESCE
    }

    /** Whether to create the hub, register the servlet, and end streams on shutdown. */
    private boolean enabled = true;

    /** The URL pattern the stream is served at. */
    private String path = "/events";

    /** The servlet's name, and the value of the hub tag on the stream's meters. */
    private String name = "events";

    /** Keep-alive comment interval on an idle stream; also how soon a vanished client is found. 0 disables. */
    private Duration keepAlive = Duration.ofSeconds(15);

    /** Reconnection delay sent as "retry:" when a stream opens; none if unset. */
    private Duration retry;

    /** Random extra, up to this, added to the retry per client so that clients do not reconnect all at once. */
    private Duration retryJitter = Duration.ZERO;

    /** The "retry:" hint sent to a client turned away beyond max-connections or during shutdown. */
    private Duration overloadRetry = Duration.ofSeconds(10);

    /** The most events queued for one client. */
    private int maxQueuedFrames = 1000;

    /** The most bytes queued for one client. */
    private DataSize maxQueuedBytes = DataSize.ofMegabytes(1);

    /** How many events are kept for Last-Event-ID resume; 0 keeps none. */
    private int historySize = 1000;

    /** How long events are kept for Last-Event-ID resume. */
    private Duration historyMaxAge = Duration.ofMinutes(5);

    /** What a client whose queue is full gets: disconnect, drop-oldest or coalesce (newest per event type). */
    private SlowClientPolicy slowClientPolicy = SlowClientPolicy.DISCONNECT;

    /**
     * The most live streams; beyond it a client is told to retry later (200 with retry:). Unset: the process's file
     * limit minus a reserve of 64 or a tenth of it, shared by every SSE servlet of the application. 0 for no limit.
     */
    private Integer maxConnections;

    /**
     * The most live streams of one client (the authenticated user, else the remote address); beyond it 429 with
     * Retry-After. 0 for no cap.
     */
    private int maxConnectionsPerClient;

    /** Topics every stream subscribes to. */
    private Set<String> topics = new LinkedHashSet<>();

    /** Topics a client may ask for with the "topic" query parameter; "*" allows any. Empty ignores the parameter. */
    private Set<String> allowedTopics = new LinkedHashSet<>();

    /** Cross-origin callers allowed, e.g. https://app.example.com; "*" allows any (not with credentials). */
    private Set<String> allowedOrigins = new LinkedHashSet<>();

    /** Whether cross-origin callers may send credentials (cookies). */
    private boolean allowCredentials;

    /** Whether to ignore the client's Last-Event-ID and never resume. */
    private boolean ignoreClientLastEventId;

    /** A client whose socket takes nothing for this long is dropped. 0 disables. */
    private Duration writeTimeout = Duration.ofSeconds(30);

    /** A stream ends gracefully after between 80% and 100% of this age, so clients move to new instances. 0 for none. */
    private Duration maxConnectionAge = Duration.ZERO;

    /** On shutdown, streams end spread at random over this window, before the web server stops. */
    private Duration drainWindow = Duration.ofSeconds(2);

    /** Event type of an empty event sent to each stream before it ends on shutdown; none if unset. */
    private String farewellEvent;

    /**
     * Event type of an empty event sent, ahead of the replay, to a client whose Last-Event-ID the history cannot fully
     * serve, so that it reloads its state; none if unset.
     */
    private String gapEvent;

    /** Most bytes of encoded events kept for Last-Event-ID replay (with history-size and history-max-age). */
    private DataSize historyMaxBytes = DataSize.ofMegabytes(64);

    /** This server's origin as browsers see it, e.g. https://app.example; derived from the Host header if unset. */
    private String publicOrigin;

    /** Request headers a CORS preflight may ask for besides Last-Event-ID. */
    private Set<String> allowedHeaders = new LinkedHashSet<>();

    /** Threads that write to sockets (a broadcast only queues and hands streams to them); 0 for one per core. */
    private int writerThreads;

    /**
     * Publishing over HTTP: POST on the stream's path broadcasts its body. "off" (the default), "open" (anyone who can
     * reach the path, subject to the origin rules), or the class name of a dev.sse.servlet.PublishPolicy with a public
     * no-argument constructor.
     */
    private String publish = "off";

    /** Most bytes of a published body; more is 413. */
    private DataSize maxBodySize = DataSize.ofMegabytes(1);

    /** Time a published body may take to arrive; then 408. */
    private Duration bodyDeadline = Duration.ofSeconds(30);

    /** Time before min-body-rate applies to a published body. */
    private Duration bodyGrace = Duration.ofSeconds(5);

    /** Bytes a second a published body must keep after body-grace; below it 408. */
    private long minBodyRate = 1024;

    /** Memory all published bodies held at once may take; past it 503. */
    private DataSize maxPendingBodySize = DataSize.ofMegabytes(64);

    /** Threads that run the broadcasts of published bodies, off the web server's threads. */
    private int publishThreads = 2;

    /** Broadcasts that may wait for a publish thread; more is 503. */
    private int publishQueue = 32;

    /** Many nodes as one hub: the Redis backplane (needs {@code dev.sse:sse-redis} on the class path). */
    private final Redis redis = new Redis();

    /** Per-request streams: {@code SseStream} controller parameters and {@code SseStreams.start}. */
    private final Streams streams = new Streams();

    /** @return whether the starter is on */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the starter is on */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the URL pattern */
    public String getPath() {
        return path;
    }

    /** @param path the URL pattern */
    public void setPath(String path) {
        this.path = path;
    }

    /** @return the servlet and metrics name */
    public String getName() {
        return name;
    }

    /** @param name the servlet and metrics name */
    public void setName(String name) {
        this.name = name;
    }

    /** @return the keep-alive interval */
    public Duration getKeepAlive() {
        return keepAlive;
    }

    /** @param keepAlive the keep-alive interval */
    public void setKeepAlive(Duration keepAlive) {
        this.keepAlive = keepAlive;
    }

    /** @return the retry sent on open, or {@code null} */
    public Duration getRetry() {
        return retry;
    }

    /** @param retry the retry sent on open */
    public void setRetry(Duration retry) {
        this.retry = retry;
    }

    /** @return the retry jitter */
    public Duration getRetryJitter() {
        return retryJitter;
    }

    /** @param retryJitter the retry jitter */
    public void setRetryJitter(Duration retryJitter) {
        this.retryJitter = retryJitter;
    }

    /** @return the retry sent to shed clients */
    public Duration getOverloadRetry() {
        return overloadRetry;
    }

    /** @param overloadRetry the retry sent to shed clients */
    public void setOverloadRetry(Duration overloadRetry) {
        this.overloadRetry = overloadRetry;
    }

    /** @return the per-client frame limit */
    public int getMaxQueuedFrames() {
        return maxQueuedFrames;
    }

    /** @param maxQueuedFrames the per-client frame limit */
    public void setMaxQueuedFrames(int maxQueuedFrames) {
        this.maxQueuedFrames = maxQueuedFrames;
    }

    /** @return the per-client byte limit */
    public DataSize getMaxQueuedBytes() {
        return maxQueuedBytes;
    }

    /** @param maxQueuedBytes the per-client byte limit */
    public void setMaxQueuedBytes(DataSize maxQueuedBytes) {
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** @return the history size */
    public int getHistorySize() {
        return historySize;
    }

    /** @param historySize the history size */
    public void setHistorySize(int historySize) {
        this.historySize = historySize;
    }

    /** @return the history age limit */
    public Duration getHistoryMaxAge() {
        return historyMaxAge;
    }

    /** @param historyMaxAge the history age limit */
    public void setHistoryMaxAge(Duration historyMaxAge) {
        this.historyMaxAge = historyMaxAge;
    }

    /** @return the slow-client policy */
    public SlowClientPolicy getSlowClientPolicy() {
        return slowClientPolicy;
    }

    /** @param slowClientPolicy the slow-client policy */
    public void setSlowClientPolicy(SlowClientPolicy slowClientPolicy) {
        this.slowClientPolicy = slowClientPolicy;
    }

    /** @return the connection limit, or {@code null} for the bound derived from the file limit */
    public Integer getMaxConnections() {
        return maxConnections;
    }

    /** @param maxConnections the connection limit, 0 for none, {@code null} for the file limit's bound */
    public void setMaxConnections(Integer maxConnections) {
        this.maxConnections = maxConnections;
    }

    /** @return the per-client stream cap, 0 for none */
    public int getMaxConnectionsPerClient() {
        return maxConnectionsPerClient;
    }

    /** @param maxConnectionsPerClient the per-client stream cap, 0 for none */
    public void setMaxConnectionsPerClient(int maxConnectionsPerClient) {
        this.maxConnectionsPerClient = maxConnectionsPerClient;
    }

    /** @return the topics of every stream */
    public Set<String> getTopics() {
        return topics;
    }

    /** @param topics the topics of every stream */
    public void setTopics(Set<String> topics) {
        this.topics = topics;
    }

    /** @return the topics a client may ask for */
    public Set<String> getAllowedTopics() {
        return allowedTopics;
    }

    /** @param allowedTopics the topics a client may ask for */
    public void setAllowedTopics(Set<String> allowedTopics) {
        this.allowedTopics = allowedTopics;
    }

    /** @return the allowed origins */
    public Set<String> getAllowedOrigins() {
        return allowedOrigins;
    }

    /** @param allowedOrigins the allowed origins */
    public void setAllowedOrigins(Set<String> allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }

    /** @return whether credentials are allowed */
    public boolean isAllowCredentials() {
        return allowCredentials;
    }

    /** @param allowCredentials whether credentials are allowed */
    public void setAllowCredentials(boolean allowCredentials) {
        this.allowCredentials = allowCredentials;
    }

    /** @return whether the client's Last-Event-ID is ignored */
    public boolean isIgnoreClientLastEventId() {
        return ignoreClientLastEventId;
    }

    /** @param ignoreClientLastEventId whether the client's Last-Event-ID is ignored */
    public void setIgnoreClientLastEventId(boolean ignoreClientLastEventId) {
        this.ignoreClientLastEventId = ignoreClientLastEventId;
    }

    /** @return the write timeout */
    public Duration getWriteTimeout() {
        return writeTimeout;
    }

    /** @param writeTimeout the write timeout */
    public void setWriteTimeout(Duration writeTimeout) {
        this.writeTimeout = writeTimeout;
    }

    /** @return the maximum connection age */
    public Duration getMaxConnectionAge() {
        return maxConnectionAge;
    }

    /** @param maxConnectionAge the maximum connection age */
    public void setMaxConnectionAge(Duration maxConnectionAge) {
        this.maxConnectionAge = maxConnectionAge;
    }

    /** @return the shutdown drain window */
    public Duration getDrainWindow() {
        return drainWindow;
    }

    /** @param drainWindow the shutdown drain window */
    public void setDrainWindow(Duration drainWindow) {
        this.drainWindow = drainWindow;
    }

    /** @return the farewell event type, or {@code null} */
    public String getFarewellEvent() {
        return farewellEvent;
    }

    /** @param farewellEvent the farewell event type */
    public void setFarewellEvent(String farewellEvent) {
        this.farewellEvent = farewellEvent;
    }

    /** @return the gap event type, or {@code null} */
    public String getGapEvent() {
        return gapEvent;
    }

    /** @param gapEvent the gap event type */
    public void setGapEvent(String gapEvent) {
        this.gapEvent = gapEvent;
    }

    /** @return the history's byte bound */
    public DataSize getHistoryMaxBytes() {
        return historyMaxBytes;
    }

    /** @param historyMaxBytes the history's byte bound */
    public void setHistoryMaxBytes(DataSize historyMaxBytes) {
        this.historyMaxBytes = historyMaxBytes;
    }

    /** @return the public origin, or {@code null} */
    public String getPublicOrigin() {
        return publicOrigin;
    }

    /** @param publicOrigin the public origin */
    public void setPublicOrigin(String publicOrigin) {
        this.publicOrigin = publicOrigin;
    }

    /** @return the extra headers a preflight may ask for */
    public Set<String> getAllowedHeaders() {
        return allowedHeaders;
    }

    /** @param allowedHeaders the extra headers a preflight may ask for */
    public void setAllowedHeaders(Set<String> allowedHeaders) {
        this.allowedHeaders = allowedHeaders;
    }

    /** @return the writer threads, 0 for one per core */
    public int getWriterThreads() {
        return writerThreads;
    }

    /** @param writerThreads the writer threads, 0 for one per core */
    public void setWriterThreads(int writerThreads) {
        this.writerThreads = writerThreads;
    }

    /** @return off, open, or a PublishPolicy class name */
    public String getPublish() {
        return publish;
    }

    /** @param publish off, open, or a PublishPolicy class name */
    public void setPublish(String publish) {
        this.publish = publish;
    }

    /** @return the most bytes of a published body */
    public DataSize getMaxBodySize() {
        return maxBodySize;
    }

    /** @param maxBodySize the most bytes of a published body */
    public void setMaxBodySize(DataSize maxBodySize) {
        this.maxBodySize = maxBodySize;
    }

    /** @return the time a published body may take to arrive */
    public Duration getBodyDeadline() {
        return bodyDeadline;
    }

    /** @param bodyDeadline the time a published body may take to arrive */
    public void setBodyDeadline(Duration bodyDeadline) {
        this.bodyDeadline = bodyDeadline;
    }

    /** @return the time before the minimum body rate applies */
    public Duration getBodyGrace() {
        return bodyGrace;
    }

    /** @param bodyGrace the time before the minimum body rate applies */
    public void setBodyGrace(Duration bodyGrace) {
        this.bodyGrace = bodyGrace;
    }

    /** @return the bytes a second a published body must keep after the grace time */
    public long getMinBodyRate() {
        return minBodyRate;
    }

    /** @param minBodyRate the bytes a second a published body must keep after the grace time */
    public void setMinBodyRate(long minBodyRate) {
        this.minBodyRate = minBodyRate;
    }

    /** @return the memory all published bodies held at once may take */
    public DataSize getMaxPendingBodySize() {
        return maxPendingBodySize;
    }

    /** @param maxPendingBodySize the memory all published bodies held at once may take */
    public void setMaxPendingBodySize(DataSize maxPendingBodySize) {
        this.maxPendingBodySize = maxPendingBodySize;
    }

    /** @return the threads that run broadcasts of published bodies */
    public int getPublishThreads() {
        return publishThreads;
    }

    /** @param publishThreads the threads that run broadcasts of published bodies */
    public void setPublishThreads(int publishThreads) {
        this.publishThreads = publishThreads;
    }

    /** @return the broadcasts that may wait for a publish thread */
    public int getPublishQueue() {
        return publishQueue;
    }

    /** @param publishQueue the broadcasts that may wait for a publish thread */
    public void setPublishQueue(int publishQueue) {
        this.publishQueue = publishQueue;
    }

    /** @return the Redis backplane settings */
    public Redis getRedis() {
        return redis;
    }

    /** @return the per-request stream settings */
    public Streams getStreams() {
        return streams;
    }

    /** The {@code sse.redis.*} properties. */
    public static class Redis {

        /**
         * The Redis the starter's hub shares its events through, e.g. redis://localhost:6379; with it every node of
         * the application delivers the same events with the same ids and a client resumes on any node. Unset: Boot's
         * spring.data.redis.url (or host and port) when sse-redis is on the class path, else a hub of this node only.
         */
        private String url;

        /** Whether to use Boot's spring.data.redis.* settings when sse.redis.url is unset. */
        private boolean useSpringDataRedis = true;

        /** Created by Spring Boot's binder. */
        public Redis() {
        }

        /** @return the Redis URI, or {@code null} */
        public String getUrl() {
            return url;
        }

        /** @param url the Redis URI */
        public void setUrl(String url) {
            this.url = url;
        }

        /** @return whether Boot's spring.data.redis.* settings are used when no URL is set */
        public boolean isUseSpringDataRedis() {
            return useSpringDataRedis;
        }

        /** @param useSpringDataRedis whether to use Boot's spring.data.redis.* settings */
        public void setUseSpringDataRedis(boolean useSpringDataRedis) {
            this.useSpringDataRedis = useSpringDataRedis;
        }
    }

    /**
     * The {@code sse.streams.*} properties: the host of every per-request stream of the application (a controller's
     * {@code SseStream} parameter, {@code SseStreams.start}). Each one left unset keeps sse-servlet's default; a set
     * one becomes the servlet context init-param {@code sse.streams.<camelCaseName>} at start-up. They are independent
     * of the hub settings above.
     */
    public static class Streams {

        /**
         * Comment sent on a stream whose producer is silent this long; also finds clients that left. Default 15s; 0
         * disables.
         */
        private Duration keepAlive;

        /** A stream whose socket takes nothing for this long ends (WRITE_TIMEOUT). Default 30s; 0 disables. */
        private Duration writeTimeout;

        /** The most events queued for one stream. Default 1000. */
        private Integer maxQueuedFrames;

        /** The most bytes queued for one stream. Default 1MB. */
        private DataSize maxQueuedBytes;

        /** What a stream whose queue is full gets when its producer sends without waiting. Default disconnect. */
        private SlowClientPolicy slowClientPolicy;

        /**
         * The most open streams; beyond it a request is answered 503 with Retry-After. Default: the process's file
         * limit bound shared with the SSE servlets; 0 for no limit.
         */
        private Integer maxConnections;

        /**
         * The most open streams of one client (user, else address); beyond it 429 with Retry-After. Default 0 (off).
         */
        private Integer maxConnectionsPerClient;

        /** Created by Spring Boot's binder. */
        public Streams() {
        }

        /** @return the keep-alive interval, or {@code null} for the default */
        public Duration getKeepAlive() {
            return keepAlive;
        }

        /** @param keepAlive the keep-alive interval */
        public void setKeepAlive(Duration keepAlive) {
            this.keepAlive = keepAlive;
        }

        /** @return the write timeout, or {@code null} for the default */
        public Duration getWriteTimeout() {
            return writeTimeout;
        }

        /** @param writeTimeout the write timeout */
        public void setWriteTimeout(Duration writeTimeout) {
            this.writeTimeout = writeTimeout;
        }

        /** @return the most queued events per stream, or {@code null} for the default */
        public Integer getMaxQueuedFrames() {
            return maxQueuedFrames;
        }

        /** @param maxQueuedFrames the most queued events per stream */
        public void setMaxQueuedFrames(Integer maxQueuedFrames) {
            this.maxQueuedFrames = maxQueuedFrames;
        }

        /** @return the most queued bytes per stream, or {@code null} for the default */
        public DataSize getMaxQueuedBytes() {
            return maxQueuedBytes;
        }

        /** @param maxQueuedBytes the most queued bytes per stream */
        public void setMaxQueuedBytes(DataSize maxQueuedBytes) {
            this.maxQueuedBytes = maxQueuedBytes;
        }

        /** @return the slow-client policy, or {@code null} for the default */
        public SlowClientPolicy getSlowClientPolicy() {
            return slowClientPolicy;
        }

        /** @param slowClientPolicy the slow-client policy */
        public void setSlowClientPolicy(SlowClientPolicy slowClientPolicy) {
            this.slowClientPolicy = slowClientPolicy;
        }

        /** @return the most open streams, or {@code null} for the default bound */
        public Integer getMaxConnections() {
            return maxConnections;
        }

        /** @param maxConnections the most open streams; 0 for no limit */
        public void setMaxConnections(Integer maxConnections) {
            this.maxConnections = maxConnections;
        }

        /** @return the most open streams per client, or {@code null} for the default */
        public Integer getMaxConnectionsPerClient() {
            return maxConnectionsPerClient;
        }

        /** @param maxConnectionsPerClient the most open streams per client; 0 for no cap */
        public void setMaxConnectionsPerClient(Integer maxConnectionsPerClient) {
            this.maxConnectionsPerClient = maxConnectionsPerClient;
        }
    }
}
