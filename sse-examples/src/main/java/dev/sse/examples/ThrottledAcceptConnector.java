package dev.sse.examples;

import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's {@link ServerConnector} with accept failures reported once a minute instead of once per attempt. Jetty
 * logs every failed {@code accept} ("Too many open files" when the process is out of file descriptors) at WARN with
 * its stack trace, then pauses its acceptor for a second and tries again: out of descriptors, that is a stack trace a
 * second per acceptor for as long as the streams hold them. Here the pause stays and the report is one line a
 * minute, with how many failures it stands for. The acceptor threads call {@link #handleAcceptFailure}.
 */
final class ThrottledAcceptConnector extends ServerConnector {

    private static final Logger LOG = LoggerFactory.getLogger(ThrottledAcceptConnector.class);
    /** The least time between two reports of failed accepts. */
    static final long REPORT_INTERVAL_SECONDS = 60;
    /** How long an acceptor waits after a failed accept before it tries again; Jetty's own pause. */
    static final long PAUSE_MILLIS = 1_000;

    private final ThrottledWarning failures;
    private final long pauseMillis;

    ThrottledAcceptConnector(Server server) {
        this(server, line -> LOG.warn(line), PAUSE_MILLIS);
    }

    ThrottledAcceptConnector(Server server, Consumer<String> report, long pauseMillis) {
        super(server);
        this.failures = new ThrottledWarning("accepting a connection failed", TimeUnit.SECONDS.toNanos(
                REPORT_INTERVAL_SECONDS), System::nanoTime, report);
        this.pauseMillis = pauseMillis;
    }

    @Override
    protected boolean handleAcceptFailure(Throwable failure) {
        if (!isRunning() || failure instanceof InterruptedException
                || failure instanceof ClosedByInterruptException) {
            // Stopping: Jetty's own handling, which logs these at debug level only.
            return super.handleAcceptFailure(failure);
        }
        failures.record(failure.toString());
        try {
            // Without a pause a descriptor shortage would spin the acceptor at full speed.
            Thread.sleep(pauseMillis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
