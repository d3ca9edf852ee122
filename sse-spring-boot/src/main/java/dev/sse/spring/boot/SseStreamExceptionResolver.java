package dev.sse.spring.boot;

import dev.sse.core.SseStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Ends the stream of a handler that threw after its {@link SseStream} parameter started it: the response is already
 * a {@code 200} event stream, so no error page or status can follow. The stream fails with
 * <pre>
 * event: error
 * data: {"error":"the stream failed"}
 * </pre>
 * after what was queued (the exception's message is not sent; it is logged at WARN with its stack trace, or at DEBUG
 * when the stream had already ended, say because the client left), and the exception counts as resolved, so neither
 * Spring nor the container writes to the response or logs it again.
 *
 * <p>A stream the host turned away ({@code 503} or {@code 429}, already sent) is resolved too, logged at DEBUG only:
 * shedding load is normal life, not an error.
 *
 * <p>It runs before the application's {@code @ExceptionHandler}s, which could not answer this request anyway, and
 * does nothing for requests without such a stream. Runs on the request's thread.
 */
final class SseStreamExceptionResolver implements HandlerExceptionResolver {

    private static final Logger LOG = LoggerFactory.getLogger(SseStreamExceptionResolver.class);

    /** What the client reads; the cause stays in the server's log. */
    static final String MESSAGE = "the stream failed";

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
                                         Exception ex) {
        if (ex instanceof SseStreamArgumentResolver.Refused) {
            LOG.debug("{} {}: {}", request.getMethod(), request.getRequestURI(), ex.getMessage());
            return new ModelAndView();
        }
        if (!(request.getAttribute(SseStreamArgumentResolver.STREAM_ATTRIBUTE) instanceof SseStream stream)) {
            return null;
        }
        if (stream.isOpen()) {
            LOG.warn("{} {} threw after its stream {} started; ending the stream with an error event",
                    request.getMethod(), request.getRequestURI(), stream.id(), ex);
            stream.fail(MESSAGE);
        } else {
            LOG.debug("{} {} threw after its stream {} ended", request.getMethod(), request.getRequestURI(),
                    stream.id(), ex);
        }
        // An empty model and view: resolved, nothing to render.
        return new ModelAndView();
    }
}
