package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.servlet.SseServlet;
import java.time.Duration;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The README's recipe for an application without the starter, verbatim and in its layout (ReadmeSnippetsTest checks
 * the README against this file), so the tested configuration is the documented one.
 */
@Configuration(proxyBeanMethods = false)
class RecipeConfiguration {

@Bean Hub hub() { return Hub.create(); }

@Bean ServletRegistrationBean<SseServlet> events(Hub hub) {
    var registration = new ServletRegistrationBean<>(SseServlet.builder().hub(hub).build(), "/events");
    registration.setAsyncSupported(true);
    registration.setLoadOnStartup(1);
    return registration;
}

@Bean SmartLifecycle endStreamsFirst(Hub hub) {
    return new SmartLifecycle() {
        private volatile boolean running;
        public void start() { running = true; }
        public void stop(Runnable done) {
            running = false;
            hub.shutdown(Duration.ofSeconds(2), SseEvent.of("bye", "")).whenComplete((v, e) -> done.run());
        }
        public void stop() { stop(() -> { }); }
        public boolean isRunning() { return running; }
        public int getPhase() { return SmartLifecycle.DEFAULT_PHASE - 512; } // above the graceful shutdown's phase
    };
}
}
