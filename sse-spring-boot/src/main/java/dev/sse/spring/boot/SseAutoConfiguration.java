package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import java.util.stream.Stream;

/**
 * Serves Server-Sent Events in a servlet web application with no code: inject the {@link Hub} and call
 * {@code hub.broadcast(...)}; or answer one request with its own stream from a controller that takes an
 * {@code SseStream} parameter.
 *
 * <ul>
 *   <li>A {@code Hub} bean named {@value #HUB_BEAN}, built from the {@code sse.*} properties, unless the application
 *       defines a {@code Hub} of its own.</li>
 *   <li>An {@code SseServlet} streaming that hub at {@code sse.path} (default {@code /events}), registered as
 *       {@value #REGISTRATION_BEAN} (async supported, loaded on start-up), when there is exactly one {@code Hub}
 *       (or one primary). An application with several hubs registers a {@code ServletRegistrationBean} per hub
 *       itself.</li>
 *   <li>A {@code SmartLifecycle} that ends the streams of every {@code Hub} bean (paced over
 *       {@code sse.drain-window}, with {@code sse.farewell-event} if set) before the web server's graceful shutdown
 *       waits for in-flight requests, so stopping takes seconds instead of that shutdown's timeout.</li>
 *   <li>With Micrometer and {@code sse-micrometer} on the class path, a {@code MeterBinder} that binds
 *       {@link HubMetrics} for every {@code Hub} bean (tag {@code hub}: {@code sse.name} for the starter's hub,
 *       the bean name for others), and {@code StreamMetrics} ({@code sse.streams.*}) for the per-request streams.</li>
 *   <li>With Spring MVC, handler methods may take an {@code SseStream} parameter: the request's own stream, started
 *       when the argument is resolved; a method that throws after that ends its stream with an error event.</li>
 *   <li>The {@code sse.streams.*} properties, set as the servlet context init-params of the per-request streams'
 *       host; the {@code SmartLifecycle} above ends those streams too.</li>
 * </ul>
 *
 * <p>Only in a servlet web application, and not with {@code sse.enabled=false}.
 */
@AutoConfiguration
@ConditionalOnClass({Hub.class, SseServlet.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "sse", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(SseProperties.class)
public class SseAutoConfiguration {

    /** The name of the hub bean this configuration creates. */
    public static final String HUB_BEAN = "sseHub";

    /** The name of the servlet registration bean this configuration creates. */
    public static final String REGISTRATION_BEAN = "sseServletRegistration";

    /** The name of the initializer that hands {@code sse.streams.*} to the per-request streams' host. */
    static final String STREAMS_INITIALIZER_BEAN = "sseStreamsInitializer";

    /** Created by Spring Boot. */
    public SseAutoConfiguration() {
    }

    /**
     * The hub, built from the {@code sse.*} properties; closed when the context closes. With {@code sse.redis.url}
     * (or Boot's {@code spring.data.redis.*} and sse-redis on the class path) it runs on the Redis backplane.
     *
     * @param properties the properties
     * @param environment where Boot's own Redis settings are read
     * @return the hub
     */
    @Bean(HUB_BEAN)
    @ConditionalOnMissingBean(Hub.class)
    public Hub sseHub(SseProperties properties, org.springframework.core.env.Environment environment) {
        return SseWiring.hub(properties, SseWiring.backplaneUri(properties, environment::getProperty));
    }

    /**
     * The servlet streaming the application's only hub at {@code sse.path}.
     *
     * @param hub the hub
     * @param properties the properties
     * @return the registration
     */
    @Bean(REGISTRATION_BEAN)
    @ConditionalOnSingleCandidate(Hub.class)
    @ConditionalOnMissingBean(name = REGISTRATION_BEAN)
    public ServletRegistrationBean<SseServlet> sseServletRegistration(Hub hub, SseProperties properties) {
        ServletRegistrationBean<SseServlet> registration =
                new ServletRegistrationBean<>(SseWiring.servlet(properties, hub), properties.getPath());
        registration.setName(properties.getName());
        registration.setAsyncSupported(true);
        registration.setLoadOnStartup(1);
        return registration;
    }

    /**
     * Ends every hub's streams before the web server stops.
     *
     * @param hubs the hub beans
     * @param properties the drain window and farewell event
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean(name = "sseShutdownLifecycle")
    static org.springframework.context.SmartLifecycle sseShutdownLifecycle(ObjectProvider<Hub> hubs,
                                                                          SseProperties properties,
                                                                          ObjectProvider<SseStreamsInitializer> streams) {
        return new SseShutdownLifecycle(hubs, properties, p -> {
            SseStreamsInitializer initializer = streams.getIfAvailable();
            jakarta.servlet.ServletContext context = initializer == null ? null : initializer.servletContext();
            return context == null ? Stream.empty()
                    : Stream.of(SseStreams.shutdown(context, p.getDrainWindow(), SseWiring.farewell(p)));
        });
    }

    /**
     * Sets the {@code sse.streams.*} properties as the servlet context init-params of the per-request streams' host,
     * and learns the servlet context for their shutdown and meters.
     *
     * @param properties the properties
     * @return the initializer
     */
    @Bean(STREAMS_INITIALIZER_BEAN)
    @ConditionalOnMissingBean(name = STREAMS_INITIALIZER_BEAN)
    static SseStreamsInitializer sseStreamsInitializer(SseProperties properties) {
        return new SseStreamsInitializer(properties);
    }

    /** {@code SseStream} parameters of Spring MVC handler methods, when Spring MVC is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(WebMvcConfigurer.class)
    static class StreamParameters {

        @Bean
        @ConditionalOnMissingBean(name = "sseStreamWebMvcConfigurer")
        static WebMvcConfigurer sseStreamWebMvcConfigurer() {
            return new SseStreamWebMvcConfigurer();
        }
    }

    /** The health of hubs on a backplane, on Spring Boot 4's health API (Boot 3 has it in another package). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class BackplaneHealth {

        @Bean
        @ConditionalOnMissingBean(name = "sseBackplaneHealthIndicator")
        static SseBackplaneHealthIndicator sseBackplaneHealthIndicator(ListableBeanFactory beans) {
            return new SseBackplaneHealthIndicator(beans);
        }
    }

    /** Meters for every hub, when Micrometer and sse-micrometer are present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterBinder.class, HubMetrics.class})
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean(name = "sseHubMetrics")
        static MeterBinder sseHubMetrics(ListableBeanFactory beans, SseProperties properties,
                                         ObjectProvider<SseStreamsInitializer> streams) {
            return new SseHubMetrics(beans, properties, whenHost -> {
                SseStreamsInitializer initializer = streams.getIfAvailable();
                if (initializer != null) {
                    initializer.whenStarted(context -> whenHost.accept(SseStreams.host(context)));
                }
            });
        }
    }
}
