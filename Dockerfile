# streamfit app image (built by docker-compose.yml). Not built in CI: no Docker daemon there.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# libturbojpeg: DCT-scaled JPEG decoding (imaging TurboJpeg); without it OpenCV decodes, slower.
RUN apt-get update && apt-get install -y --no-install-recommends libturbojpeg0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/app/target/streamfit.jar /app/app/target/streamfit.jar
COPY --from=build /src/app/target/lib /app/app/target/lib
COPY data/clothing-sample /app/data/clothing-sample
ENV JAVA_OPTS="-Xmx2g -Dorg.bytedeco.javacpp.maxbytes=8G"
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -Dstreamfit.home=/app -cp '/app/app/target/streamfit.jar:/app/app/target/lib/*' dev.streamfit.app.Main \"$@\"", "streamfit"]
