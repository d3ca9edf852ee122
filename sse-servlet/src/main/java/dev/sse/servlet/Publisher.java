package dev.sse.servlet;

import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.core.http.Decision;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.PublishRules;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link SseServlet}'s {@code POST}: origin, query, {@link PublishPolicy}, then the body read by
 * {@link RequestBodies} and broadcast on this object's own small pool, never on a container thread (a backplane may
 * block for its command timeout while its store stalls, and that must not hold the threads serving everyone else).
 * {@link Hub#broadcastAsync} exists now, but a backplane that does not pipeline still runs it on the caller: the pool
 * stays until every backplane does.
 *
 * <p>Threads: the container calls {@link #publish} and {@link #preflight} concurrently; a body's handler runs on the
 * container thread that read its last byte and queues the broadcast; a publish thread broadcasts and answers, unless
 * the request was ended first (a timeout): whichever ends it first answers it. {@link #stop} runs once, on the thread
 * destroying the servlet.
 */
final class Publisher {

    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

    static final String ACTION = PublishRules.ACTION;
    /** How long a broadcast may take before its request is answered 503 anyway; far above a backplane's timeout. */
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);
    private static final long QUEUE_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PublishPolicy policy;
    private final PublishRules rules;
    private final Supplier<Hub> hub;
    private final RequestBodies bodies;
    private final int queueSize;
    private final ThreadPoolExecutor pool;
    private final AtomicLong lastQueueWarning = new AtomicLong(System.nanoTime() - QUEUE_WARNING_INTERVAL_NANOS);
    private final AtomicLong queueFullSinceWarning = new AtomicLong();

    Publisher(String servletName, Settings s, PublishPolicy policy, Supplier<Hub> hub) {
        this.policy = policy;
        this.rules = new PublishRules(s.allowedOrigins, s.allowCredentials, s.publicOrigin, s.topicParameter);
        this.hub = hub;
        this.bodies = RequestBodies.builder()
                .maxBodyBytes(s.maxBodyBytes)
                .deadline(s.bodyDeadline)
                .grace(s.bodyGrace)
                .minBytesPerSecond(s.minBodyRate)
                .maxPendingBytes(s.maxPendingBodyBytes)
                .handlingTimeout(PUBLISH_TIMEOUT)
                .shedMessage("too many notifications are arriving at once; retry later")
                .allowedOrigins(s.allowedOrigins, s.allowCredentials)
                .publicOrigin(s.publicOrigin)
                .threadName("sse-publish-deadlines-" + servletName)
                .build();
        this.queueSize = s.publishQueue;
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(s.publishThreads, s.publishThreads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(s.publishQueue), r -> {
                    Thread thread = new Thread(r, "sse-publish-" + servletName + "-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    long pendingBodyBytes() {
        return bodies.pendingBodyBytes();
    }

    void preflight(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        bodies.preflight(req, resp, PublishRules.ALLOW, ACTION);
    }

    void publish(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!bodies.admit(req, resp, ACTION)) {
            LOG.debug("publish refused for origin {}", req.getHeader("Origin"));
            return;
        }
        // Not getParameter: for a form-encoded POST (curl's -d) it would consume the body.
        Decision<PublishRules.Target> target = rules.target(new ServletRequestView(req));
        if (!target.accepted()) {
            ErrorResponse.write(resp, target.refusal());
            return;
        }
        String event = target.value().event();
        String topic = target.value().topic();
        if (!policy.mayPublish(req, event, topic)) {
            LOG.debug("publish refused by the policy {} (event {}, topic {})", policy, event, topic);
            ErrorResponse.write(resp, PublishRules.forbidden());
            return;
        }
        SseEvent.Builder toSend = SseEvent.builder().event(event);
        bodies.read(req, resp, new Publication(toSend, topic));
    }

    /** Stops taking broadcasts: those never started are answered 503, those running answer for themselves. */
    void stop() {
        bodies.close();
        for (Runnable waiting : pool.shutdownNow()) {
            if (waiting instanceof Broadcast b) {
                answer(b.request, PublishRules.unavailable(PublishRules.SHUTTING_DOWN));
            }
        }
    }

    private static void answer(RequestBodies.Body body, HttpAnswer answer) {
        body.answer(answer.status(), answer.bodyText(), false, answer.header("Retry-After"));
    }

    /** One publication whose body has arrived: queued for a publish thread on the container thread that read it. */
    private final class Publication implements RequestBodies.Handler {
        private final SseEvent.Builder event;
        private final String topic;

        Publication(SseEvent.Builder event, String topic) {
            this.event = event;
            this.topic = topic;
        }

        @Override
        public void received(String data, RequestBodies.Body body) {
            Broadcast broadcast = new Broadcast(body, hub.get(), topic, event.data(data).build());
            try {
                pool.execute(broadcast);
            } catch (RejectedExecutionException e) {
                if (pool.isShutdown()) {
                    answer(body, PublishRules.unavailable(PublishRules.SHUTTING_DOWN));
                    return;
                }
                queueFull();
                answer(body, PublishRules.overloaded("too many notifications are waiting to be published; retry "
                        + "later"));
            }
        }

        @Override
        public void timedOut(RequestBodies.Body body) {
            LOG.warn("broadcast still running after {} ms; answered 503", PUBLISH_TIMEOUT.toMillis());
            answer(body, PublishRules.unavailable("the notification was not published in time; it may still "
                    + "arrive"));
        }
    }

    private void queueFull() {
        long n = queueFullSinceWarning.incrementAndGet();
        long now = System.nanoTime();
        long last = lastQueueWarning.get();
        if (now - last >= QUEUE_WARNING_INTERVAL_NANOS && lastQueueWarning.compareAndSet(last, now)) {
            queueFullSinceWarning.addAndGet(-n);
            LOG.warn("{} publications refused with 503 in the last {} s: {} already waiting for a publish thread", n,
                    TimeUnit.NANOSECONDS.toSeconds(now - last), queueSize);
        }
    }

    /** One broadcast waiting for, or running on, a publish thread; it answers whatever happens. */
    private static final class Broadcast implements Runnable {
        private final RequestBodies.Body request;
        private final Hub hub;
        private final String topic;
        private final SseEvent event;

        Broadcast(RequestBodies.Body request, Hub hub, String topic, SseEvent event) {
            this.request = request;
            this.hub = hub;
            this.topic = topic;
            this.event = event;
        }

        @Override
        public void run() {
            if (!request.pending()) {
                return;
            }
            String id;
            try {
                id = topic == null ? hub.broadcast(event) : hub.broadcast(topic, event);
            } catch (Throwable t) {
                failed(t);
                if (t instanceof VirtualMachineError fatal) {
                    // Out of memory or stack: the JVM's own handling must see it too; the request was answered.
                    throw fatal;
                }
                return;
            }
            answer(request, PublishRules.published(id));
        }

        /** Answers a broadcast that threw with a 503 naming why: one line in the log, no stack trace. */
        private void failed(Throwable t) {
            String why;
            if (t instanceof HubClosedException) {
                why = PublishRules.SHUTTING_DOWN;
                LOG.debug("notification not published: the hub is closed");
            } else {
                why = hub.unavailableReason().isPresent()
                        ? "the notification was not published: the backplane, which shares it with the other nodes, "
                        + "is unavailable; retry later"
                        : "the notification was not published: the broadcast failed; retry later";
                LOG.warn("notification not published, answered 503: {}", t.toString());
            }
            answer(request, PublishRules.unavailable(why));
        }
    }
}
