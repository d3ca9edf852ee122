package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import dev.sse.webflux.SseHandler;
import dev.sse.webflux.SseStreams;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Serves Server-Sent Events in a reactive (WebFlux) application with no code, as {@link SseAutoConfiguration} does in
 * a servlet one, when {@code dev.sse:sse-webflux} is on the class path beside the starter.
 *
 * <ul>
 *   <li>A {@code Hub} bean named {@value SseAutoConfiguration#HUB_BEAN}, built from the same {@code sse.*}
 *       properties, unless the application defines a {@code Hub} of its own.</li>
 *   <li>An {@link SseHandler} ({@value #HANDLER_BEAN}) streaming that hub, routed at {@code sse.path} (default
 *       {@code /events}) by a {@code RouterFunction} ({@value #ROUTE_BEAN}), when there is exactly one {@code Hub}
 *       (or one primary); with {@code sse.publish}, {@code POST} there publishes as in a servlet application.</li>
 *   <li>{@link SseStreams} ({@value #STREAMS_BEAN}) for per-request streams, from {@code sse.streams.*}: inject it and
 *       return {@code streams.open(exchange, stream -> ...)} from a handler method.</li>
 *   <li>A {@code SmartLifecycle} that ends the streams of every {@code Hub} bean and the per-request streams (over
 *       {@code sse.drain-window}, with {@code sse.farewell-event} if set) before Reactor Netty's graceful shutdown
 *       waits for in-flight requests.</li>
 *   <li>With Micrometer and {@code sse-micrometer}, the same meters as in a servlet application.</li>
 * </ul>
 *
 * <p>Only in a reactive web application, and not with {@code sse.enabled=false}.
 */
@AutoConfiguration
@ConditionalOnClass({Hub.class, SseHandler.class, RouterFunction.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnProperty(prefix = "sse", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(SseProperties.class)
public class SseReactiveAutoConfiguration {

    /** The name of the handler bean this configuration creates. */
    public static final String HANDLER_BEAN = "sseHandler";

    /** The name of the router function bean this configuration creates. */
    public static final String ROUTE_BEAN = "sseRouterFunction";

    /** The name of the per-request streams bean this configuration creates. */
    public static final String STREAMS_BEAN = "sseStreams";

    /** Created by Spring Boot. */
    public SseReactiveAutoConfiguration() {
    }

    /**
     * The hub, built from the {@code sse.*} properties as in a servlet application; closed when the context closes.
     *
     * @param properties the properties
     * @param environment where Boot's own Redis settings are read
     * @return the hub
     */
    @Bean(SseAutoConfiguration.HUB_BEAN)
    @ConditionalOnMissingBean(Hub.class)
    public Hub sseHub(SseProperties properties, Environment environment) {
        return SseWiring.hub(properties, SseWiring.backplaneUri(properties, environment::getProperty));
    }

    /**
     * The handler streaming the application's only hub.
     *
     * @param hub the hub
     * @param properties the properties
     * @return the handler
     */
    @Bean(HANDLER_BEAN)
    @ConditionalOnSingleCandidate(Hub.class)
    @ConditionalOnMissingBean(SseHandler.class)
    public SseHandler sseHandler(Hub hub, SseProperties properties) {
        return ReactiveWiring.handler(properties, hub);
    }

    /**
     * Routes {@code sse.path} to the handler.
     *
     * @param handler the handler
     * @param properties the path
     * @return the route
     */
    @Bean(ROUTE_BEAN)
    @ConditionalOnBean(SseHandler.class)
    @ConditionalOnMissingBean(name = ROUTE_BEAN)
    public RouterFunction<ServerResponse> sseRouterFunction(SseHandler handler, SseProperties properties) {
        return RouterFunctions.route(RequestPredicates.path(properties.getPath()), handler);
    }

    /**
     * The application's per-request streams, from {@code sse.streams.*}.
     *
     * @param properties the properties
     * @return the streams
     */
    @Bean(STREAMS_BEAN)
    @ConditionalOnMissingBean(SseStreams.class)
    public SseStreams sseStreams(SseProperties properties) {
        return ReactiveWiring.streams(properties.getStreams());
    }

    /**
     * Ends every hub's streams and the per-request streams before the web server stops.
     *
     * @param hubs the hub beans
     * @param streams the per-request streams
     * @param properties the drain window and farewell event
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean(name = "sseShutdownLifecycle")
    static SmartLifecycle sseShutdownLifecycle(ObjectProvider<Hub> hubs, ObjectProvider<SseStreams> streams,
                                               SseProperties properties) {
        return new SseShutdownLifecycle(hubs, properties,
                p -> streams.orderedStream().map(s -> s.shutdown(p.getDrainWindow(), SseWiring.farewell(p))));
    }

    /** Meters for every hub and the per-request streams, when Micrometer and sse-micrometer are present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterBinder.class, HubMetrics.class})
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean(name = "sseHubMetrics")
        static MeterBinder sseHubMetrics(ListableBeanFactory beans, SseProperties properties,
                                         ObjectProvider<SseStreams> streams) {
            return new SseHubMetrics(beans, properties, whenHost -> {
                SseStreams s = streams.getIfAvailable();
                if (s != null) {
                    whenHost.accept(s.host());
                }
            });
        }
    }
}
