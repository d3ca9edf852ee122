package dev.sse.core;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What application code calls to push events: to every connected client, to a topic's subscribers, or to one.
 *
 * <pre>{@code
 * Hub hub = Hub.create();
 * hub.broadcast(SseEvent.of("update", "{\"n\":1}"));
 * }</pre>
 *
 * <h2>Delivery</h2>
 * A broadcast is encoded once into an {@link SseFrame} and queued on each recipient's {@link EventChannel}; it never
 * waits for a socket. A client whose queue is full (see {@link Builder#maxQueuedFrames} and
 * {@link Builder#maxQueuedBytes}) is handled by the {@link SlowClientPolicy} without delaying anyone else.
 *
 * <h2>Ids and resume</h2>
 * Each broadcast with data and no id gets the next number of the hub's sequence as its id ("1", "2", ...); the
 * application's own ids are kept. Broadcasts with an id are recorded in the {@link EventHistory}. A channel opened
 * with a {@code Last-Event-ID} receives, exactly once and in order, what the history holds after that id and then
 * everything broadcast live, also while broadcasts run concurrently: the channel is registered first, live frames
 * wait behind the replay, then both flow. When the id cannot be fully served (see {@link InMemoryHistory}), the
 * channel's {@link EventChannel#resumeGap()} is set, {@link HubListener#onResumeGap} is called, and, if configured
 * with {@link Builder#gapEvent}, that event is sent to the client ahead of the replay.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe. Broadcasts are ordered by one publish lock, held only while frames are queued (no
 * I/O, no user code); transports are woken and slow clients closed after it is released, on the broadcasting
 * thread. Keep-alives and graceful shutdown run on the hub's scheduler: one daemon thread of its own, or the one
 * given to {@link Builder#scheduler}. See {@link HubListener} for where callbacks run.
 */
public final class Hub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final EventHistory history;
    private final SlowClientPolicy slowClientPolicy;
    private final int maxQueuedFrames;
    private final long maxQueuedBytes;
    private final Duration keepAlive;
    private final Clock clock;
    private final SseEvent gapEvent;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final ScheduledFuture<?> keepAliveTask;

    /** Orders broadcasts and channel registration; never held during I/O or user code. */
    private final ReentrantLock publishLock = new ReentrantLock();
    // Guarded by publishLock.
    private long sequence;

    private final Map<Long, EventChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, Set<EventChannel>> topics = new ConcurrentHashMap<>();
    private final List<HubListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong channelIds = new AtomicLong();
    private volatile boolean closed;

    private final LongAdder eventsBroadcast = new LongAdder();
    private final LongAdder framesSent = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Map<CloseReason, LongAdder> closes = new EnumMap<>(CloseReason.class);

    private Hub(Builder b) {
        this.history = b.history != null ? b.history : InMemoryHistory.create(1000, Duration.ofMinutes(5), b.clock);
        this.slowClientPolicy = b.slowClientPolicy;
        this.maxQueuedFrames = b.maxQueuedFrames;
        this.maxQueuedBytes = b.maxQueuedBytes;
        this.keepAlive = b.keepAlive;
        this.clock = b.clock;
        this.gapEvent = b.gapEvent;
        this.listeners.addAll(b.listeners);
        for (CloseReason r : CloseReason.values()) {
            closes.put(r, new LongAdder());
        }
        if (b.scheduler != null) {
            this.scheduler = b.scheduler;
            this.ownsScheduler = false;
        } else {
            ScheduledThreadPoolExecutor own = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "sse-hub-scheduler");
                t.setDaemon(true);
                return t;
            });
            own.setRemoveOnCancelPolicy(true);
            this.scheduler = own;
            this.ownsScheduler = true;
        }
        if (keepAlive.isZero()) {
            this.keepAliveTask = null;
        } else {
            // Ticking at half the interval bounds the silence on an idle stream to one interval.
            long tick = Math.max(1, keepAlive.toMillis() / 2);
            this.keepAliveTask = scheduler.scheduleAtFixedRate(this::sendKeepAlives, tick, tick, TimeUnit.MILLISECONDS);
        }
    }

    /** @return a hub with every default: in-memory history of 1000 events / 5 minutes, disconnect slow clients,
     *  1000 frames or 1 MiB per client, keep-alive every 15 seconds */
    public static Hub create() {
        return builder().build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers a client with no topics and no resume.
     *
     * @param transport the connection side
     * @return the open channel
     * @throws IllegalStateException if the hub is closed
     */
    public EventChannel open(Transport transport) {
        return open(transport, ChannelOptions.defaults());
    }

    /**
     * Registers a client. It receives broadcasts from the moment this returns, after the options' initial event and
     * the replay of what it missed since {@link ChannelOptions#lastEventId()}.
     *
     * @param transport the connection side
     * @param options topics, resume point, initial event, attributes
     * @return the open channel
     * @throws IllegalStateException if the hub is closed
     */
    public EventChannel open(Transport transport, ChannelOptions options) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(options, "options");
        EventChannel channel = new EventChannel(this, transport, channelIds.incrementAndGet(), options, clock.instant());
        long upTo;
        publishLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("hub is closed");
            }
            channels.put(channel.id(), channel);
            for (String topic : options.topics()) {
                topicSet(topic).add(channel);
            }
            upTo = sequence;
        } finally {
            publishLock.unlock();
        }
        for (HubListener l : listeners) {
            try {
                l.onOpen(channel);
            } catch (RuntimeException e) {
                LOG.warn("HubListener.onOpen failed", e);
            }
        }
        List<SseFrame> replayed = List.of();
        boolean gap = false;
        SseFrame initial = options.initialEvent() == null ? null : SseFrame.of(options.initialEvent());
        if (options.lastEventId() != null) {
            EventHistory.Replay replay;
            try {
                replay = history.replay(options.lastEventId(), upTo);
            } catch (RuntimeException e) {
                LOG.warn("history replay failed for channel {}; resuming with a gap", channel.id(), e);
                replay = new EventHistory.Replay(List.of(), true);
            }
            gap = replay.gap();
            Set<String> channelTopics = options.topics();
            List<SseFrame> frames = new ArrayList<>(replay.events().size() + 1);
            if (gap && gapEvent != null) {
                frames.add(SseFrame.of(gapEvent));
            }
            for (RecordedEvent e : replay.events()) {
                if (e.topic() == null || channelTopics.contains(e.topic())) {
                    frames.add(e.frame());
                }
            }
            replayed = frames;
        }
        channel.finishReplay(initial, replayed, gap);
        if (gap) {
            LOG.debug("channel {} resumed from unknown or evicted id {}", channel.id(), options.lastEventId());
            for (HubListener l : listeners) {
                try {
                    l.onResumeGap(channel);
                } catch (RuntimeException e) {
                    LOG.warn("HubListener.onResumeGap failed", e);
                }
            }
        }
        return channel;
    }

    /**
     * Sends an event to every open channel and records it in the history.
     *
     * @param event the event; if it has data and no id, the hub's next sequence number becomes its id
     * @return the id the event was sent with, or {@code null} if it has none (e.g. a comment)
     * @throws IllegalStateException if the hub is closed
     */
    public String broadcast(SseEvent event) {
        return publish(null, event);
    }

    /**
     * Sends an event to the channels subscribed to a topic and records it in the history for them.
     *
     * @param topic the topic
     * @param event the event; ids as for {@link #broadcast(SseEvent)}
     * @return the id the event was sent with, or {@code null}
     * @throws IllegalStateException if the hub is closed
     */
    public String broadcast(String topic, SseEvent event) {
        return publish(Objects.requireNonNull(topic, "topic"), event);
    }

    /**
     * Sends an event to one channel only; it is not recorded in the history.
     *
     * @param channelId the channel's {@link EventChannel#id()}
     * @param event the event
     * @return {@code false} if no such channel is open or it did not take the event
     */
    public boolean send(long channelId, SseEvent event) {
        EventChannel channel = channels.get(channelId);
        return channel != null && channel.send(event);
    }

    private String publish(String topic, SseEvent event) {
        Objects.requireNonNull(event, "event");
        List<EventChannel> wake = new ArrayList<>();
        List<EventChannel> slow = null;
        String id;
        publishLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("hub is closed");
            }
            SseEvent toSend = event;
            if (event.id() == null && event.data() != null) {
                toSend = event.withId(Long.toString(sequence + 1));
            }
            id = toSend.id();
            SseFrame frame = SseFrame.of(toSend);
            if (id != null) {
                sequence++;
                history.append(new RecordedEvent(sequence, topic, frame, clock.instant()));
            }
            eventsBroadcast.increment();
            Iterable<EventChannel> recipients = topic == null ? channels.values() : topics.getOrDefault(topic, Set.of());
            for (EventChannel channel : recipients) {
                int outcome = channel.offer(frame);
                if (outcome == EventChannel.WAKE) {
                    wake.add(channel);
                } else if (outcome == EventChannel.CLOSE_SLOW) {
                    if (slow == null) {
                        slow = new ArrayList<>();
                    }
                    slow.add(channel);
                }
            }
        } finally {
            publishLock.unlock();
        }
        for (EventChannel channel : wake) {
            channel.afterOffer(EventChannel.WAKE);
        }
        if (slow != null) {
            for (EventChannel channel : slow) {
                channel.afterOffer(EventChannel.CLOSE_SLOW);
            }
        }
        return id;
    }

    /**
     * Finds an open channel.
     *
     * @param channelId the id
     * @return the channel, if open
     */
    public Optional<EventChannel> channel(long channelId) {
        return Optional.ofNullable(channels.get(channelId));
    }

    /** @return the open channels, a snapshot */
    public List<EventChannel> channels() {
        return List.copyOf(channels.values());
    }

    /** @return how many channels are open */
    public int channelCount() {
        return channels.size();
    }

    /**
     * Returns how many open channels subscribe to a topic.
     *
     * @param topic the topic
     * @return the count
     */
    public int subscriberCount(String topic) {
        return topics.getOrDefault(topic, Set.of()).size();
    }

    /**
     * Adds a listener; it sees channels opened and closed from now on.
     *
     * @param listener the listener
     */
    public void addListener(HubListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    public void removeListener(HubListener listener) {
        listeners.remove(listener);
    }

    /** @return the counters now */
    public HubStats stats() {
        Map<CloseReason, Long> byReason = new EnumMap<>(CloseReason.class);
        closes.forEach((r, n) -> byReason.put(r, n.sum()));
        return new HubStats(channels.size(), eventsBroadcast.sum(), framesSent.sum(), bytesSent.sum(), dropped.sum(),
                byReason);
    }

    /** @return the keep-alive interval, zero if disabled */
    public Duration keepAliveInterval() {
        return keepAlive;
    }

    /** @return whether {@link #close()} or {@link #shutdown} was called */
    public boolean isClosed() {
        return closed;
    }

    /** Closes every channel now with {@link CloseReason#HUB_CLOSED} and stops the hub's own scheduler. */
    @Override
    public void close() {
        markClosed();
        for (EventChannel channel : channels.values()) {
            channel.close(CloseReason.HUB_CLOSED);
        }
        stopScheduler();
    }

    /**
     * Ends every stream gracefully, spread at random over {@code drainWindow} so that clients do not all reconnect
     * elsewhere in the same instant: each channel gets {@code farewell} (if given), drains, then closes with
     * {@link CloseReason#HUB_CLOSED}. Channels still open when the window ends (clients not reading) are closed then.
     * No channel can open and nothing can be broadcast once this is called.
     *
     * @param drainWindow the time to spread closes over; zero closes all at once
     * @param farewell a last event for every client, or {@code null}
     * @return completes when every channel is closed and the hub's own scheduler has stopped
     */
    public CompletableFuture<Void> shutdown(Duration drainWindow, SseEvent farewell) {
        Objects.requireNonNull(drainWindow, "drainWindow");
        markClosed();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long windowMillis = drainWindow.toMillis();
        List<EventChannel> open = List.copyOf(channels.values());
        for (EventChannel channel : open) {
            long delay = windowMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(windowMillis);
            scheduleOrRun(() -> channel.closeAfterDrain(CloseReason.HUB_CLOSED, farewell), delay);
        }
        scheduleOrRun(() -> {
            for (EventChannel channel : channels.values()) {
                channel.close(CloseReason.HUB_CLOSED);
            }
            stopScheduler();
            done.complete(null);
        }, Math.max(0, windowMillis));
        return done;
    }

    private void scheduleOrRun(Runnable task, long delayMillis) {
        try {
            scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            task.run();
        }
    }

    private void markClosed() {
        publishLock.lock();
        try {
            closed = true;
        } finally {
            publishLock.unlock();
        }
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
    }

    private void stopScheduler() {
        if (ownsScheduler) {
            scheduler.shutdown();
        }
    }

    /** Queues a keep-alive comment on every channel that has had nothing queued since the previous tick. */
    void sendKeepAlives() {
        try {
            for (EventChannel channel : channels.values()) {
                if (channel.idleSinceLastTick()) {
                    channel.send(SseFrame.KEEP_ALIVE);
                }
            }
        } catch (RuntimeException e) {
            // An exception would cancel the periodic task and silently end keep-alives for good.
            LOG.warn("keep-alive tick failed", e);
        }
    }

    SlowClientPolicy slowClientPolicy() {
        return slowClientPolicy;
    }

    int maxQueuedFrames() {
        return maxQueuedFrames;
    }

    long maxQueuedBytes() {
        return maxQueuedBytes;
    }

    private Set<EventChannel> topicSet(String topic) {
        return topics.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet());
    }

    void subscribed(EventChannel channel, String topic) {
        topicSet(topic).add(channel);
        if (!channel.isOpen()) {
            topicSet(topic).remove(channel);
        }
    }

    void unsubscribed(EventChannel channel, String topic) {
        Set<EventChannel> set = topics.get(topic);
        if (set != null) {
            set.remove(channel);
        }
    }

    void frameSent(SseFrame frame) {
        framesSent.increment();
        bytesSent.add(frame.length());
    }

    void dropped(int n) {
        dropped.add(n);
    }

    void closed(EventChannel channel, CloseReason reason) {
        channels.remove(channel.id());
        for (String topic : channel.topics()) {
            unsubscribed(channel, topic);
        }
        closes.get(reason).increment();
    }

    void fireClosed(EventChannel channel, CloseReason reason) {
        for (HubListener l : listeners) {
            try {
                l.onClose(channel, reason);
            } catch (RuntimeException e) {
                LOG.warn("HubListener.onClose failed", e);
            }
        }
    }

    /**
     * Builds a {@link Hub}.
     *
     * <pre>{@code
     * Hub hub = Hub.builder().keepAlive(Duration.ofSeconds(20)).slowClientPolicy(SlowClientPolicy.dropOldest()).build();
     * }</pre>
     */
    public static final class Builder {
        private EventHistory history;
        private SlowClientPolicy slowClientPolicy = SlowClientPolicy.disconnect();
        private int maxQueuedFrames = 1000;
        private long maxQueuedBytes = 1 << 20;
        private Duration keepAlive = Duration.ofSeconds(15);
        private Clock clock = Clock.systemUTC();
        private ScheduledExecutorService scheduler;
        private SseEvent gapEvent;
        private final List<HubListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * Where broadcasts are kept for resume; default {@code InMemoryHistory.create(1000, 5 minutes)}.
         *
         * @param history the history, e.g. {@link EventHistory#none()}
         * @return this builder
         */
        public Builder history(EventHistory history) {
            this.history = Objects.requireNonNull(history, "history");
            return this;
        }

        /**
         * What to do with a client whose queue is full; default {@link SlowClientPolicy#disconnect()}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder slowClientPolicy(SlowClientPolicy policy) {
            this.slowClientPolicy = Objects.requireNonNull(policy, "slowClientPolicy");
            return this;
        }

        /**
         * The most frames queued for one client; default 1000.
         *
         * @param maxQueuedFrames at least 1
         * @return this builder
         */
        public Builder maxQueuedFrames(int maxQueuedFrames) {
            if (maxQueuedFrames < 1) {
                throw new IllegalArgumentException("maxQueuedFrames must be at least 1 (was " + maxQueuedFrames + ")");
            }
            this.maxQueuedFrames = maxQueuedFrames;
            return this;
        }

        /**
         * The most bytes queued for one client; default 1 MiB. A single frame larger than this is still queued when
         * the client's queue is empty, so large events can be sent.
         *
         * @param maxQueuedBytes at least 1
         * @return this builder
         */
        public Builder maxQueuedBytes(long maxQueuedBytes) {
            if (maxQueuedBytes < 1) {
                throw new IllegalArgumentException("maxQueuedBytes must be at least 1 (was " + maxQueuedBytes + ")");
            }
            this.maxQueuedBytes = maxQueuedBytes;
            return this;
        }

        /**
         * How often an idle stream gets a keep-alive comment, which keeps proxies from closing it and finds dead
         * peers; default 15 seconds. An idle stream is silent for at most this long.
         *
         * @param interval positive, or zero to disable
         * @return this builder
         */
        public Builder keepAlive(Duration interval) {
            Objects.requireNonNull(interval, "keepAlive");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("keepAlive must not be negative (was " + interval + ")");
            }
            this.keepAlive = interval;
            return this;
        }

        /**
         * The clock for event times and history age; default the system UTC clock.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The scheduler for keep-alives and graceful shutdown; the hub does not shut it down. Default: a daemon
         * thread of the hub's own, stopped by {@link Hub#close()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * An event sent to a resuming client, ahead of its replay, when the history cannot fully serve its
         * {@code Last-Event-ID}; default none (the gap is still reported to listeners).
         *
         * @param gapEvent the event, e.g. {@code SseEvent.of("gap", "")}, or {@code null}
         * @return this builder
         */
        public Builder gapEvent(SseEvent gapEvent) {
            this.gapEvent = gapEvent;
            return this;
        }

        /**
         * Adds a listener from the start.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(HubListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** @return the hub, running */
        public Hub build() {
            return new Hub(this);
        }
    }
}
