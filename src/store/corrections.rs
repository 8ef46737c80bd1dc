//! Editors' corrections to the registry, written once as SQL that both backends run (`?N`
//! placeholders; the PostgreSQL backend numbers them `$N`). Corrections are stored, not only
//! applied: a merged entity leaves a redirect and a removed alias leaves a removal, which linking
//! respects when articles are ingested again (see `linking::Corrections`).

use std::collections::HashSet;

use crate::domain::{EntityType, TextEntity};
use crate::store::linking::new_entity_id;
use crate::store::names::name_key;

/// Folds entity ?2 into entity ?1: its names, roles and removals, its articles and quotes; then ?2
/// redirects to ?1 and the counters of ?1 are recounted. ?3 and ?4 are [`json_ref`] of ?2 and ?1,
/// to repoint the articles' stored entities. The backend then reindexes the survivor's words.
pub const MERGE: &[&str] = &[
    "INSERT INTO entity_aliases (entity_id, alias, alias_key) \
     SELECT CAST(?1 AS TEXT), alias, alias_key FROM entity_aliases a WHERE a.entity_id = ?2 \
     AND NOT EXISTS (SELECT 1 FROM entity_alias_removals r WHERE r.entity_id = ?1 AND r.alias_key = a.alias_key) \
     ON CONFLICT DO NOTHING",
    "INSERT INTO entity_roles (entity_id, role, role_key) SELECT CAST(?1 AS TEXT), role, role_key FROM entity_roles \
     WHERE entity_id = ?2 ON CONFLICT DO NOTHING",
    "INSERT INTO entity_alias_removals (entity_id, alias_key) SELECT CAST(?1 AS TEXT), alias_key \
     FROM entity_alias_removals WHERE entity_id = ?2 ON CONFLICT DO NOTHING",
    "DELETE FROM entity_alias_removals WHERE entity_id = ?2",
    "UPDATE articles SET entities_json = replace(entities_json, ?3, ?4) \
     WHERE id IN (SELECT article_id FROM article_entities WHERE entity_id = ?2)",
    "DELETE FROM article_entities WHERE entity_id = ?2 \
     AND article_id IN (SELECT article_id FROM article_entities WHERE entity_id = ?1)",
    "UPDATE article_entities SET entity_id = ?1 WHERE entity_id = ?2",
    "UPDATE quotes SET speaker_entity_id = ?1 WHERE speaker_entity_id = ?2",
    "UPDATE entity_redirects SET to_id = ?1 WHERE to_id = ?2",
    "INSERT INTO entity_redirects (from_id, to_id) VALUES (?2, ?1) \
     ON CONFLICT (from_id) DO UPDATE SET to_id = excluded.to_id",
    "DELETE FROM entities WHERE id = ?2",
    RECOUNT,
];

/// Recounts the articles and quotes of entity ?1.
pub const RECOUNT: &str = "UPDATE entities SET \
     article_count = (SELECT COUNT(*) FROM article_entities WHERE entity_id = ?1), \
     quote_count = (SELECT COUNT(*) FROM quotes WHERE speaker_entity_id = ?1) WHERE id = ?1";

/// Creates entity ?2 named ?3, of the type of entity ?1, unless it exists; an id merged away
/// earlier stops redirecting.
pub const CREATE_SPLIT: &[&str] = &[
    "DELETE FROM entity_redirects WHERE from_id = ?2",
    "INSERT INTO entities (id, type, name) \
     SELECT CAST(?2 AS TEXT), type, CAST(?3 AS TEXT) FROM entities WHERE id = ?1 ON CONFLICT (id) DO NOTHING",
];

/// The articles that mention entity ?1.
pub const ARTICLES_OF: &str = "SELECT a.id, a.entities_json FROM article_entities ae \
     JOIN articles a ON a.id = ae.article_id WHERE ae.entity_id = ?1";

/// Article ?1 now names entity ?2 too; its stored entities are ?3.
pub const SPLIT_ARTICLE: &[&str] = &[
    "UPDATE articles SET entities_json = ?3 WHERE id = ?1",
    "INSERT INTO article_entities (article_id, entity_id, published_at) \
     SELECT id, CAST(?2 AS TEXT), published_at FROM articles WHERE id = ?1 ON CONFLICT DO NOTHING",
];

/// Article ?1 no longer names entity ?2.
pub const UNLINK_ARTICLE: &str =
    "DELETE FROM article_entities WHERE article_id = ?1 AND entity_id = ?2";

/// In article ?1, quotes of the article entity ?4 move from registry entity ?2 to ?3.
pub const MOVE_QUOTES: &str = "UPDATE quotes SET speaker_entity_id = ?3 \
     WHERE article_id = ?1 AND speaker_entity_id = ?2 AND speaker_local_id = ?4";

/// The id of the entity split off `source` under `display_name`: the id linking would give a new
/// entity of that name. Splitting into the entity itself is an error.
pub fn split_target(
    source: &str,
    entity_type: &str,
    display_name: &str,
) -> Result<String, crate::store::StoreError> {
    let entity_type = EntityType::parse(entity_type).unwrap_or(EntityType::Other);
    let target = new_entity_id(entity_type, display_name);
    if target == source {
        return Err(crate::store::StoreError::invalid(
            "display_name",
            "names the entity being split",
        ));
    }
    Ok(target)
}

/// What a split changes in one article.
#[derive(Debug, Default, PartialEq)]
pub struct ArticleSplit {
    /// The article entities (local ids) that now point at the new entity.
    pub moved: Vec<String>,
    /// Whether some entity of the article still points at the old one.
    pub source_remains: bool,
}

/// Repoints an article's entities from `source` to `target` where the article's own name for the
/// entity is one of `keys` (name keys of the names split off).
pub fn split_article(
    entities: &mut [TextEntity],
    source: &str,
    target: &str,
    keys: &HashSet<String>,
) -> ArticleSplit {
    let mut split = ArticleSplit::default();
    for e in entities
        .iter_mut()
        .filter(|e| e.entity_id.as_deref() == Some(source))
    {
        if keys.contains(&name_key(&e.name)) {
            e.entity_id = Some(target.to_string());
            split.moved.push(e.local_id.clone());
        } else {
            split.source_remains = true;
        }
    }
    split
}

/// Removes the alias with key ?2 from entity ?1 for good. The backend then reindexes the
/// entity's words.
pub const REMOVE_ALIAS: &[&str] = &[
    "INSERT INTO entity_alias_removals (entity_id, alias_key) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    "DELETE FROM entity_aliases WHERE entity_id = ?1 AND alias_key = ?2",
];

/// Gives entity ?1 the name ?3, whose key is ?2.
pub const ADD_ALIAS: &str = "INSERT INTO entity_aliases (entity_id, alias, alias_key) VALUES (?1, ?3, ?2) \
     ON CONFLICT DO NOTHING";

/// Forgets an earlier removal of the alias with key ?2 from entity ?1, before it is added again.
pub const UNREMOVE_ALIAS: &str =
    "DELETE FROM entity_alias_removals WHERE entity_id = ?1 AND alias_key = ?2";

/// The entity a merged id redirects to.
pub const REDIRECT: &str = "SELECT to_id FROM entity_redirects WHERE from_id = ?1";

/// How an article's stored entities (`entities_json`) refer to a registry entity.
pub fn json_ref(id: &str) -> String {
    format!(
        "\"entity_id\":{}",
        serde_json::Value::String(id.to_string())
    )
}

/// How many parameters (`?1`..`?N`) a statement uses, so that a backend binds exactly those.
pub fn sql_params(sql: &str) -> usize {
    (1..=9)
        .rev()
        .find(|n| sql.contains(&format!("?{n}")))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EntityType, TextEntity};

    #[test]
    fn json_ref_matches_the_stored_form_of_article_entities() {
        let entity = TextEntity {
            local_id: "e1".into(),
            name: "Sergey Lavrov".into(),
            entity_type: EntityType::Person,
            aliases: vec![],
            roles: vec![],
            mentions: vec![],
            salience: 1.0,
            entity_id: Some("sergey-lavrov-60a5c1".into()),
        };
        let json = serde_json::to_string(&entity).unwrap();
        assert!(json.contains(&json_ref("sergey-lavrov-60a5c1")), "{json}");
        assert_eq!(sql_params(MERGE[0]), 2);
        assert_eq!(sql_params(MERGE[4]), 4);
    }
}
