package dev.sse.spring.boot;

import dev.sse.core.SseStream;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;

/**
 * Gives a Spring MVC handler method an {@link SseStream} parameter: the request's own stream, started by
 * {@link SseStreams#start} when the argument is resolved (status 200, {@code text/event-stream}, flushed at once).
 *
 * <pre>{@code
 * @PostMapping("/chat")
 * void chat(@RequestBody String prompt, SseStream stream) { generator.start(prompt, stream); }
 * }</pre>
 *
 * <p>The request counts as handled: Spring renders no view and writes no body after the method returns, and the
 * response stays open until the stream ends. Arguments are resolved in order, so an {@code SseStream} declared after
 * {@code @RequestBody} and {@code @Valid} parameters starts only once they have been read and checked, and bad input
 * is still answered {@code 400} (declared before them, bad input ends the started stream with an error event instead).
 * An exception the method throws once the stream has started is {@link SseStreamExceptionResolver}'s, and so is a
 * request the streams' host turned away ({@code 503} at its limit or while stopping, {@code 429} beyond the per-client
 * cap): the method is not called. Runs on the request's thread.
 */
final class SseStreamArgumentResolver implements HandlerMethodArgumentResolver {

    /** The request attribute holding the stream started for the request's handler. */
    static final String STREAM_ATTRIBUTE = SseStreamArgumentResolver.class.getName() + ".stream";

    private static final int TOO_MANY_REQUESTS = 429;

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == SseStream.class;
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer,
                                  NativeWebRequest webRequest, WebDataBinderFactory binderFactory) throws Exception {
        HttpServletRequest request = webRequest.getNativeRequest(HttpServletRequest.class);
        if (request == null) {
            throw new IllegalStateException("an SseStream parameter needs a servlet request");
        }
        if (request.getAttribute(STREAM_ATTRIBUTE) != null) {
            throw new IllegalStateException("a request has one SseStream; " + parameter.getExecutable()
                    + " asks for two");
        }
        HttpServletResponse response = response(request, webRequest);
        SseStream stream;
        try {
            stream = SseStreams.start(request, response);
        } catch (IllegalStateException e) {
            int status = response.getStatus();
            if (status == HttpServletResponse.SC_SERVICE_UNAVAILABLE || status == TOO_MANY_REQUESTS) {
                // Turned away at a limit or during shutdown, and already answered: normal life under load.
                throw new Refused(e);
            }
            throw e;
        }
        request.setAttribute(STREAM_ATTRIBUTE, stream);
        if (mavContainer != null) {
            mavContainer.setRequestHandled(true);
        }
        return stream;
    }

    /**
     * The response the DispatcherServlet was given. Spring hands handler methods a wrapper made for its own async
     * handling, which takes a lock around every write and refuses writes once it thinks the request is over; the
     * stream's writer threads write for as long as the stream lives, so they write to the response underneath.
     */
    private static HttpServletResponse response(HttpServletRequest request, NativeWebRequest webRequest) {
        RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
        if (attributes instanceof ServletRequestAttributes servlet && servlet.getRequest() == request
                && servlet.getResponse() != null) {
            return servlet.getResponse();
        }
        HttpServletResponse response = webRequest.getNativeResponse(HttpServletResponse.class);
        if (response == null) {
            throw new IllegalStateException("an SseStream parameter needs a servlet response");
        }
        return response;
    }

    /** The host refused the stream and answered the client; the handler method is not called. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(IllegalStateException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
