# syntax=docker/dockerfile:1
# Koukan: one image for the router, the gateway and the other subcommands.
#   docker build -t koukan .
#   docker run --rm -it koukan run     # the embedded default, on the container's loopback (a try-out)
#   docker run --rm koukan router /etc/koukan/router.yaml
# Kubernetes: deploy/base (docs/operations.md).

# ---- build: the jar and its runtime dependencies (target/koukan.jar + target/lib/)
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml .
# dependencies first, so that a source change does not download them again
RUN mvn -B -q dependency:go-offline -DexcludeGroupIds=net.koukan || true
COPY src ./src
RUN mvn -B -q -DskipTests package \
 && mkdir -p /out \
 && cp target/koukan.jar /out/ \
 && cp -r target/lib /out/lib

# ---- runtime: a JRE, no build tools, a non-root user
FROM eclipse-temurin:25-jre
RUN groupadd --system --gid 10001 koukan \
 && useradd --system --uid 10001 --gid koukan --home-dir /var/lib/koukan --create-home koukan
COPY --from=build /out/ /opt/koukan/
WORKDIR /var/lib/koukan
USER 10001:10001
# REST (router 8000, gateway 8001); SMTP listeners use unprivileged ports (2525, 5870) in the
# container, mapped to 25/587 by the Service or `docker run -p 25:2525`
EXPOSE 8000 8001 2525 5870
ENV KOUKAN_JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["sh", "-c", "exec java --enable-native-access=ALL-UNNAMED $KOUKAN_JAVA_OPTS -jar /opt/koukan/koukan.jar \"$@\"", "koukan"]
CMD ["run"]
