COPY {schema}.chunks (document_id, position, context, content, embedding)
FROM STDIN WITH (FORMAT BINARY);
