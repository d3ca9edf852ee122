package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.servlet.PublishPolicy;
import org.junit.jupiter.api.Test;

/** {@code sse.publish}: off by default, {@code open}, or a policy class; anything else fails naming the property. */
class SsePublishPropertyTest {

    @Test
    void publishingIsOffUnlessThePropertySaysOtherwise() {
        assertThat(SseWiring.publishPolicy(new SseProperties().getPublish())).isNull();
        assertThat(SseWiring.publishPolicy("off")).isNull();
    }

    @Test
    void openMeansTheLibrarysOpenPolicy() {
        assertThat(SseWiring.publishPolicy(" open ")).isSameAs(PublishPolicy.open());
    }

    @Test
    void aClassNameIsInstantiated() {
        assertThat(SseWiring.publishPolicy(Editors.class.getName())).isInstanceOf(Editors.class);
    }

    @Test
    void aNameThatIsNoPolicyFailsNamingTheProperty() {
        assertThatThrownBy(() -> SseWiring.publishPolicy("java.lang.String"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sse.publish");
    }

    /** A policy named by class. */
    public static final class Editors implements PublishPolicy {
        @Override
        public boolean mayPublish(jakarta.servlet.http.HttpServletRequest request, String event, String topic) {
            return request.isUserInRole("editor");
        }
    }
}
