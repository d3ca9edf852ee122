package dev.sse.servlet;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default bound on live streams that keeps them from taking every file descriptor of the process: one count
 * shared by every {@link SseServlet} of the class loader that loaded this library ({@link #PROCESS}), because each
 * stream holds a socket and two servlets with a limit each would together still exhaust the files.
 *
 * <p>The bound is the process's file limit ({@code RLIMIT_NOFILE}, read once through
 * {@code com.sun.management.UnixOperatingSystemMXBean}) minus a reserve of {@value #MIN_RESERVE} or a tenth of the
 * limit, whichever is more. The reserve keeps what the rest of the process needs: a JVM with an embedded container
 * holds a few dozen descriptors at rest (class-path jars, selectors, epoll and event fds, logs), and pages, API calls,
 * health checks and database connections need more while streams are at the bound; a tenth scales with the larger
 * applications that set large limits. Where the limit cannot be read (not a Unix JVM) there is no default bound.
 *
 * <p>Every stream counts, also those of a servlet with an explicit {@code maxConnections}; only servlets without one
 * are held to this bound. Streams over HTTP/2 share one connection's socket, so counting streams errs on the safe side.
 *
 * <h2>Threads</h2>
 * Container threads call {@link #enter} and {@link #exit} (exactly once per successful {@code enter}, see
 * {@link LiveStreams}); the counters are atomics. {@link #shed()} logs at most one WARN per {@link #LOG_INTERVAL}.
 */
final class FileLimit {

    private static final Logger LOG = LoggerFactory.getLogger(FileLimit.class);

    /** The fewest descriptors kept for everything but streams. */
    static final int MIN_RESERVE = 64;
    /** Shedding is logged at most once per this many seconds, with how many streams were shed meanwhile. */
    static final long LOG_INTERVAL = 60;

    /** The bound shared by every servlet of this class loader. */
    static final FileLimit PROCESS = new FileLimit(osFileLimit(), System::nanoTime);

    private final long fileLimit;
    private final int maxStreams;
    private final LongSupplier nanoTime;
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicLong shedSinceLog = new AtomicLong();
    private final AtomicLong nextLogAt;

    /**
     * @param fileLimit the process's file limit, or a value below 1 if unknown (no bound)
     * @param nanoTime the clock of the shedding log
     */
    FileLimit(long fileLimit, LongSupplier nanoTime) {
        this.fileLimit = fileLimit;
        this.maxStreams = streamsFor(fileLimit);
        this.nanoTime = nanoTime;
        this.nextLogAt = new AtomicLong(nanoTime.getAsLong());
    }

    /** @return the most streams a file limit leaves room for, or 0 (no bound) when the limit is unknown */
    static int streamsFor(long fileLimit) {
        if (fileLimit <= 0) {
            return 0;
        }
        long reserve = Math.max(MIN_RESERVE, fileLimit / 10);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, fileLimit - reserve));
    }

    /** @return the most streams of servlets without {@code maxConnections}, 0 for no bound */
    int maxStreams() {
        return maxStreams;
    }

    long fileLimit() {
        return fileLimit;
    }

    /** @return the streams counted now, of every servlet sharing this bound */
    int streams() {
        return streams.get();
    }

    /**
     * Counts a stream about to open.
     *
     * @param bounded whether this servlet is held to the bound (it has no explicit {@code maxConnections})
     * @return false, counting nothing, if the bound is reached
     */
    boolean enter(boolean bounded) {
        int n = streams.incrementAndGet();
        if (bounded && maxStreams > 0 && n > maxStreams) {
            streams.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A counted stream ended (or never opened). */
    void exit() {
        streams.decrementAndGet();
    }

    /**
     * Records one stream shed at the bound; logs a WARN when the interval has passed since the last one.
     *
     * @return how many sheds the WARN reported, or 0 if it was not yet due
     */
    long shed() {
        shedSinceLog.incrementAndGet();
        long now = nanoTime.getAsLong();
        long due = nextLogAt.get();
        if (now - due < 0 || !nextLogAt.compareAndSet(due, now + TimeUnit.SECONDS.toNanos(LOG_INTERVAL))) {
            return 0;
        }
        long shed = shedSinceLog.getAndSet(0);
        LOG.warn("{} stream(s) shed (200 with retry:) since the last report: {} streams are open and the file limit of "
                        + "{} leaves room for {} (the rest is kept for the process). Raise the limit (ulimit -n, "
                        + "LimitNOFILE) or set maxConnections on the servlets", shed, streams.get(), fileLimit,
                maxStreams);
        return shed;
    }

    /** The process's file limit, or -1 where the JVM does not tell it. */
    static long osFileLimit() {
        try {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
                long limit = unix.getMaxFileDescriptorCount();
                LOG.debug("file limit {}: streams of servlets without maxConnections bounded at {}", limit,
                        streamsFor(limit));
                return limit;
            }
            LOG.debug("file limit unknown on this JVM ({}); no default bound on streams", os.getClass().getName());
        } catch (LinkageError | RuntimeException e) {
            LOG.debug("file limit unknown ({}); no default bound on streams", e.toString());
        }
        return -1;
    }
}
