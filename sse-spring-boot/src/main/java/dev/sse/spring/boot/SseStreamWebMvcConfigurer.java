package dev.sse.spring.boot;

import java.util.List;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Lets Spring MVC controllers take an {@code SseStream} parameter ({@link SseStreamArgumentResolver}) and fails the
 * stream of one that throws after starting it ({@link SseStreamExceptionResolver}, first among the exception
 * resolvers).
 */
final class SseStreamWebMvcConfigurer implements WebMvcConfigurer {

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new SseStreamArgumentResolver());
    }

    @Override
    public void extendHandlerExceptionResolvers(List<HandlerExceptionResolver> resolvers) {
        resolvers.add(0, new SseStreamExceptionResolver());
    }
}
