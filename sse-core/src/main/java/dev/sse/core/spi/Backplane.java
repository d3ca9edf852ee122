package dev.sse.core.spi;

import dev.sse.core.SseEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A shared, ordered event log under a hub, so that hubs on many nodes act as one: a hub built with a backplane sends
 * each broadcast to the log instead of to its own channels, and delivers to its channels what the log hands back.
 * Every node, the publishing one included, so sees the same events in the same order with the same ids. For store
 * authors (the {@code sse-redis} module); applications only pass one to {@code Hub.Builder.backplane}.
 *
 * <pre>{@code
 * Hub hub = Hub.builder().backplane(myBackplane).build();   // calls myBackplane.start(inbound)
 * hub.broadcast(SseEvent.data("x"));                         // myBackplane.publish(null, event) returns its id
 * }</pre>
 *
 * <h2>Threads</h2>
 * {@link #publish} runs on the broadcasting application thread, without any hub lock; it should fail fast (a
 * bounded wait, then an exception) when the log cannot be reached. The backplane calls {@link Inbound#deliver} from
 * one thread at a time, in log order; it never blocks on a client. {@link #history()}'s {@code append} is called by
 * the hub for every delivered event, in delivery order, and its {@code replay} on the thread that opens a channel.
 */
public interface Backplane {

    /**
     * Starts delivering: from now on every event the log receives (from any node) is handed to {@code inbound}, once
     * each, in log order. Called once, by the hub's builder.
     *
     * @param inbound where the events go
     */
    void start(Inbound inbound);

    /**
     * Appends an event to the shared log. The hub delivers it to its own channels only when it comes back through
     * {@link Inbound#deliver}, like every other node.
     *
     * @param topic the topic, or {@code null} for every channel
     * @param event the event; without an id the log assigns one
     * @return the id the event will be delivered with, or {@code null} if it has none (a comment)
     * @throws RuntimeException if the log cannot take it now; nothing is delivered then
     */
    String publish(String topic, SseEvent event);

    /**
     * Appends an event to the shared log without waiting for it: a backplane that can pipeline (many appends in
     * flight on one connection) overrides this; the default calls {@link #publish} on the caller's thread. Each
     * caller is told its own id or its own failure; what the log accepts keeps one global order. It must not queue
     * without bound: when too many appends are in flight it fails the stage (or waits a bounded time).
     *
     * @param topic the topic, or {@code null} for every channel
     * @param event the event; without an id the log assigns one
     * @return completes with the id (or {@code null} for a comment), or exceptionally if the log did not take it
     */
    default CompletionStage<String> publishAsync(String topic, SseEvent event) {
        try {
            return CompletableFuture.completedFuture(publish(topic, event));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Where the hub keeps delivered events and replays resumes from; the hub appends every delivered event to it,
     * with the hub's own delivery sequence, and asks it to replay up to the newest sequence it had delivered.
     *
     * @return the history, the same object each call
     */
    EventHistory history();

    /** Stops delivering and frees what the backplane holds; called once, when the hub closes. */
    void close();

    /**
     * Says whether the shared log can be reached now, for health checks; cheap (no round trip), any thread.
     *
     * @return why it cannot, e.g. "connection to redis:6379 is down", or {@code null} when it can
     */
    default String unavailableReason() {
        return null;
    }

    /**
     * The hub's side of a backplane: where the shared log's events are delivered.
     *
     * <pre>{@code
     * inbound.deliver(topic, SseEvent.data(data).withId(entryId));
     * }</pre>
     */
    interface Inbound {

        /**
         * Delivers one event of the log to the hub's channels (those of the topic, or all).
         *
         * @param topic the topic, or {@code null} for every channel
         * @param event the event, with its log id (comments may have none)
         */
        void deliver(String topic, SseEvent event);

        /**
         * Tells the hub that events were lost between the last delivered one and the next (the log was trimmed
         * while this node could not read it): the hub signals a gap to every channel as it does on resume.
         */
        void gap();
    }
}
