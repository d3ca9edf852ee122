package dev.sse.redis;

import dev.sse.core.ChannelOptions;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** An in-memory transport that drains at once on the waking thread and keeps every frame; waits with deadlines. */
final class Recorder implements Transport {

    private FrameSource source;
    private final List<SseFrame> frames = new ArrayList<>();
    private boolean closed;

    static Recorder on(Hub hub) {
        return on(hub, ChannelOptions.defaults());
    }

    static Recorder on(Hub hub, ChannelOptions options) {
        Recorder r = new Recorder();
        r.channel = hub.open(r, options);
        return r;
    }

    EventChannel channel;

    @Override
    public void attach(FrameSource frames) {
        this.source = frames;
    }

    @Override
    public void framesAvailable() {
        synchronized (this) {
            SseFrame f;
            while ((f = source.poll()) != null) {
                frames.add(f);
            }
            notifyAll();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    synchronized boolean closed() {
        return closed;
    }

    /** Data events only (keep-alives and comments left out). */
    synchronized List<String> ids() {
        List<String> out = new ArrayList<>();
        for (SseFrame f : frames) {
            if (f.event().id() != null) {
                out.add(f.event().id());
            }
        }
        return out;
    }

    synchronized List<String> data() {
        List<String> out = new ArrayList<>();
        for (SseFrame f : frames) {
            if (f.event().data() != null) {
                out.add(f.event().data());
            }
        }
        return out;
    }

    synchronized List<SseFrame> frames() {
        return new ArrayList<>(frames);
    }

    /** Waits until the frames satisfy the condition; fails with what was received after the timeout. */
    synchronized List<SseFrame> await(Predicate<List<SseFrame>> condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(frames)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                List<String> ids = ids();
                throw new AssertionError("timed out; received " + frames.size() + " frames, the last ids: "
                        + ids.subList(Math.max(0, ids.size() - 5), ids.size()));
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return new ArrayList<>(frames);
    }

    List<String> awaitIds(int count, Duration timeout) throws InterruptedException {
        await(fs -> fs.stream().filter(f -> f.event().id() != null).count() >= count, timeout);
        return ids();
    }
}
