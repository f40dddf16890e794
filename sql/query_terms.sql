-- The searchable words of a query: its lexemes under the collection's text search configuration,
-- with the collection's word separators read as spaces, exactly as sql/keyword_ranking.sql and
-- sql/hits.sql lex it. Empty when every word is a stop word or punctuation ("the of and to is"):
-- keyword search then has nothing to rank by. In the order the words first appear.
SELECT t.lexeme
FROM unnest(to_tsvector(%(text_config)s::regconfig, translate(%(query)s, %(word_separators)s, %(separator_spaces)s))) AS t
ORDER BY t.positions[1], t.lexeme
