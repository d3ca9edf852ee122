package dev.sse.servlet;

import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.http.Setting;
import dev.sse.core.http.SseSettings;
import dev.sse.core.http.StreamRules;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What an {@link SseServlet} was configured with: its builder's values, then its init-params, each parsed once into
 * a typed value. Mutable only while being configured; the servlet keeps a copy.
 */
final class Settings {

    /** Every init-param the servlet knows, from the settings table; anything else is reported as a probable typo. */
    static final Set<String> NAMES = names(null);

    /** Init-params that only configure a hub the servlet builds itself. */
    static final Set<String> HUB_NAMES = names(Setting.Scope.HUB);

    String hubAttribute = SseSettings.HUB.defaultValue();
    Duration keepAlive = SseSettings.KEEP_ALIVE.defaultValue();
    int maxQueuedFrames = SseSettings.MAX_QUEUED_FRAMES.defaultValue();
    long maxQueuedBytes = SseSettings.MAX_QUEUED_BYTES.defaultValue();
    int historySize = SseSettings.HISTORY_SIZE.defaultValue();
    Duration historyMaxAge = SseSettings.HISTORY_MAX_AGE.defaultValue();
    long historyMaxBytes = SseSettings.HISTORY_MAX_BYTES.defaultValue();
    SlowClientPolicy slowClientPolicy = SseSettings.SLOW_CLIENT_POLICY.defaultValue();
    Duration retry = SseSettings.RETRY.defaultValue();
    Duration retryJitter = SseSettings.RETRY_JITTER.defaultValue();
    Duration overloadRetry = SseSettings.OVERLOAD_RETRY.defaultValue();
    /** Null: not set, the process's {@link FileLimit} bounds this servlet's streams; 0: no limit at all. */
    Integer maxConnections = SseSettings.MAX_CONNECTIONS.defaultValue();
    int maxConnectionsPerClient = SseSettings.MAX_CONNECTIONS_PER_CLIENT.defaultValue();
    Set<String> topics = SseSettings.TOPICS.defaultValue();
    String topicParameter = SseSettings.TOPIC_PARAMETER.defaultValue();
    Set<String> allowedTopics = SseSettings.ALLOWED_TOPICS.defaultValue();
    Set<String> allowedOrigins = SseSettings.ALLOWED_ORIGINS.defaultValue();
    boolean allowCredentials = SseSettings.ALLOW_CREDENTIALS.defaultValue();
    Set<String> allowedHeaders = SseSettings.ALLOWED_HEADERS.defaultValue();
    String publicOrigin = SseSettings.PUBLIC_ORIGIN.defaultValue();
    boolean ignoreClientLastEventId = SseSettings.IGNORE_CLIENT_LAST_EVENT_ID.defaultValue();
    String lastEventIdParameter = SseSettings.LAST_EVENT_ID_PARAMETER.defaultValue();
    Duration maxConnectionAge = SseSettings.MAX_CONNECTION_AGE.defaultValue();
    Duration drainWindow = SseSettings.DRAIN_WINDOW.defaultValue();
    SseEvent farewell = SseSettings.FAREWELL_EVENT.defaultValue();
    SseEvent gap = SseSettings.GAP_EVENT.defaultValue();
    Duration writeTimeout = SseSettings.WRITE_TIMEOUT.defaultValue();
    String cacheControl = SseSettings.CACHE_CONTROL.defaultValue();
    String requestHook = SseSettings.REQUEST_HOOK.defaultValue();
    int writerThreads = SseSettings.WRITER_THREADS.defaultValue();
    URI backplane = SseSettings.BACKPLANE.defaultValue();
    /** The {@code publish} init-param: {@code open}, {@code off}, or a {@link PublishPolicy} class name; null if absent. */
    String publish;
    int maxBodyBytes = SseSettings.MAX_BODY_BYTES.defaultValue();
    Duration bodyDeadline = SseSettings.BODY_DEADLINE.defaultValue();
    Duration bodyGrace = SseSettings.BODY_GRACE.defaultValue();
    long minBodyRate = SseSettings.MIN_BODY_RATE.defaultValue();
    long maxPendingBodyBytes = SseSettings.MAX_PENDING_BODY_BYTES.defaultValue();
    int publishThreads = SseSettings.PUBLISH_THREADS.defaultValue();
    int publishQueue = SseSettings.PUBLISH_QUEUE.defaultValue();

    Settings copy() {
        Settings s = new Settings();
        s.hubAttribute = hubAttribute;
        s.keepAlive = keepAlive;
        s.maxQueuedFrames = maxQueuedFrames;
        s.maxQueuedBytes = maxQueuedBytes;
        s.historySize = historySize;
        s.historyMaxAge = historyMaxAge;
        s.historyMaxBytes = historyMaxBytes;
        s.slowClientPolicy = slowClientPolicy;
        s.retry = retry;
        s.retryJitter = retryJitter;
        s.overloadRetry = overloadRetry;
        s.maxConnections = maxConnections;
        s.maxConnectionsPerClient = maxConnectionsPerClient;
        s.topics = topics;
        s.topicParameter = topicParameter;
        s.allowedTopics = allowedTopics;
        s.allowedOrigins = allowedOrigins;
        s.allowCredentials = allowCredentials;
        s.allowedHeaders = allowedHeaders;
        s.publicOrigin = publicOrigin;
        s.ignoreClientLastEventId = ignoreClientLastEventId;
        s.lastEventIdParameter = lastEventIdParameter;
        s.maxConnectionAge = maxConnectionAge;
        s.drainWindow = drainWindow;
        s.farewell = farewell;
        s.gap = gap;
        s.writeTimeout = writeTimeout;
        s.cacheControl = cacheControl;
        s.requestHook = requestHook;
        s.writerThreads = writerThreads;
        s.backplane = backplane;
        s.publish = publish;
        s.maxBodyBytes = maxBodyBytes;
        s.bodyDeadline = bodyDeadline;
        s.bodyGrace = bodyGrace;
        s.minBodyRate = minBodyRate;
        s.maxPendingBodyBytes = maxPendingBodyBytes;
        s.publishThreads = publishThreads;
        s.publishQueue = publishQueue;
        return s;
    }

    /**
     * Applies the init-params that are present, each parsed by the settings table; {@code param} returns
     * {@code null} for an absent one. Nothing is applied when one is bad.
     *
     * @throws IllegalArgumentException naming the init-param and the rule it breaks
     */
    void apply(Function<String, String> param) {
        SseSettings.Values v = SseSettings.parse(param, "init-param");
        hubAttribute = pick(v, SseSettings.HUB, hubAttribute);
        keepAlive = pick(v, SseSettings.KEEP_ALIVE, keepAlive);
        maxQueuedFrames = pick(v, SseSettings.MAX_QUEUED_FRAMES, maxQueuedFrames);
        maxQueuedBytes = pick(v, SseSettings.MAX_QUEUED_BYTES, maxQueuedBytes);
        historySize = pick(v, SseSettings.HISTORY_SIZE, historySize);
        historyMaxAge = pick(v, SseSettings.HISTORY_MAX_AGE, historyMaxAge);
        historyMaxBytes = pick(v, SseSettings.HISTORY_MAX_BYTES, historyMaxBytes);
        slowClientPolicy = pick(v, SseSettings.SLOW_CLIENT_POLICY, slowClientPolicy);
        retry = pick(v, SseSettings.RETRY, retry);
        retryJitter = pick(v, SseSettings.RETRY_JITTER, retryJitter);
        overloadRetry = pick(v, SseSettings.OVERLOAD_RETRY, overloadRetry);
        // Present, 0 included, replaces the default bound: 0 then means no limit at all.
        maxConnections = pick(v, SseSettings.MAX_CONNECTIONS, maxConnections);
        maxConnectionsPerClient = pick(v, SseSettings.MAX_CONNECTIONS_PER_CLIENT, maxConnectionsPerClient);
        topics = pick(v, SseSettings.TOPICS, topics);
        topicParameter = pick(v, SseSettings.TOPIC_PARAMETER, topicParameter);
        allowedTopics = pick(v, SseSettings.ALLOWED_TOPICS, allowedTopics);
        allowedOrigins = pick(v, SseSettings.ALLOWED_ORIGINS, allowedOrigins);
        allowCredentials = pick(v, SseSettings.ALLOW_CREDENTIALS, allowCredentials);
        allowedHeaders = pick(v, SseSettings.ALLOWED_HEADERS, allowedHeaders);
        publicOrigin = pick(v, SseSettings.PUBLIC_ORIGIN, publicOrigin);
        ignoreClientLastEventId = pick(v, SseSettings.IGNORE_CLIENT_LAST_EVENT_ID, ignoreClientLastEventId);
        lastEventIdParameter = pick(v, SseSettings.LAST_EVENT_ID_PARAMETER, lastEventIdParameter);
        maxConnectionAge = pick(v, SseSettings.MAX_CONNECTION_AGE, maxConnectionAge);
        drainWindow = pick(v, SseSettings.DRAIN_WINDOW, drainWindow);
        farewell = pick(v, SseSettings.FAREWELL_EVENT, farewell);
        gap = pick(v, SseSettings.GAP_EVENT, gap);
        writeTimeout = pick(v, SseSettings.WRITE_TIMEOUT, writeTimeout);
        cacheControl = pick(v, SseSettings.CACHE_CONTROL, cacheControl);
        requestHook = pick(v, SseSettings.REQUEST_HOOK, requestHook);
        writerThreads = pick(v, SseSettings.WRITER_THREADS, writerThreads);
        backplane = pick(v, SseSettings.BACKPLANE, backplane);
        publish = pick(v, SseSettings.PUBLISH, publish);
        maxBodyBytes = pick(v, SseSettings.MAX_BODY_BYTES, maxBodyBytes);
        bodyDeadline = pick(v, SseSettings.BODY_DEADLINE, bodyDeadline);
        bodyGrace = pick(v, SseSettings.BODY_GRACE, bodyGrace);
        minBodyRate = pick(v, SseSettings.MIN_BODY_RATE, minBodyRate);
        maxPendingBodyBytes = pick(v, SseSettings.MAX_PENDING_BODY_BYTES, maxPendingBodyBytes);
        publishThreads = pick(v, SseSettings.PUBLISH_THREADS, publishThreads);
        publishQueue = pick(v, SseSettings.PUBLISH_QUEUE, publishQueue);
        validate();
    }

    /** The hub settings as the table's values, for the one hub factory. */
    SseSettings.Values hubValues() {
        Map<String, String> hub = new HashMap<>();
        hub.put(SseSettings.KEEP_ALIVE.name(), keepAlive.toString());
        hub.put(SseSettings.MAX_QUEUED_FRAMES.name(), Integer.toString(maxQueuedFrames));
        hub.put(SseSettings.MAX_QUEUED_BYTES.name(), Long.toString(maxQueuedBytes));
        hub.put(SseSettings.HISTORY_SIZE.name(), Integer.toString(historySize));
        hub.put(SseSettings.HISTORY_MAX_AGE.name(), historyMaxAge.toString());
        hub.put(SseSettings.HISTORY_MAX_BYTES.name(), Long.toString(historyMaxBytes));
        if (gap != null) {
            hub.put(SseSettings.GAP_EVENT.name(), gap.event());
        }
        if (backplane != null) {
            hub.put(SseSettings.BACKPLANE.name(), backplane.toString());
        }
        return SseSettings.parse(hub::get, "init-param").with(SseSettings.SLOW_CLIENT_POLICY, slowClientPolicy);
    }

    private static <T> T pick(SseSettings.Values v, Setting<T> setting, T current) {
        return v.isSet(setting) ? v.get(setting) : current;
    }

    private static Set<String> names(Setting.Scope scope) {
        Set<String> out = new LinkedHashSet<>();
        for (Setting<?> s : SseSettings.all()) {
            if (scope == null || s.scope() == scope) {
                out.add(s.name());
            }
        }
        return Set.copyOf(out);
    }

    static SlowClientPolicy policy(String name) {
        return SseSettings.policy(name, "init-param slowClientPolicy");
    }

    /** Accepts {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601 ({@code PT15S}) or plain milliseconds. */
    static Duration parseDuration(String name, String v) {
        return SseSettings.duration(v, "init-param " + name);
    }

    /** @return the stream rules of these settings */
    StreamRules streamRules() {
        return StreamRules.builder().topics(topics).allowedTopics(allowedTopics).topicParameter(topicParameter)
                .lastEventIdParameter(lastEventIdParameter).ignoreClientLastEventId(ignoreClientLastEventId)
                .allowedOrigins(allowedOrigins, allowCredentials).publicOrigin(publicOrigin)
                .allowedHeaders(allowedHeaders).cacheControl(cacheControl).retry(retry, retryJitter, overloadRetry)
                .maxConnectionsPerClient(maxConnectionsPerClient).build();
    }

    void validate() {
        if (allowCredentials && allowedOrigins.contains("*")) {
            throw new IllegalArgumentException(
                    "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
        }
    }
}
