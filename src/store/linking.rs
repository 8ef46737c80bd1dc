//! Entity linking: which registry entity an article's entity is, shared by every backend.
//!
//! Conservative on purpose: two entities are one when they share a full name (any alias of two or
//! more words) and a type; a bare surname links only when exactly one registry entity of that type
//! carries it. When unsure, a new entity is made: a wrong merge is worse for a newsroom than a
//! duplicate an editor can merge.
//!
//! Editors' corrections bind linking: an entity merged into another redirects there (a re-ingest
//! that would recreate it links to the survivor), and an alias an editor removed from an entity is
//! never recorded for it again.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::domain::{EntityType, TextEntity};
use crate::store::names::name_key;

/// The registry id of a new entity: a readable slug of its name and a short hash of its type and
/// name key, so that two replicas creating the same entity at once create the same id.
pub fn new_entity_id(entity_type: EntityType, name: &str) -> String {
    let key = name_key(name);
    let mut slug: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    slug.truncate(48);
    let slug = slug.trim_end_matches('-');
    let digest = Sha256::digest(format!("{}\0{key}", entity_type.as_str()).as_bytes());
    let hash: String = digest[..3].iter().map(|b| format!("{b:02x}")).collect();
    if slug.is_empty() {
        hash
    } else {
        format!("{slug}-{hash}")
    }
}

/// Every name key an article's entity is known by: its name and aliases.
pub fn lookup_keys(entity: &TextEntity) -> Vec<String> {
    let mut keys: Vec<String> = std::iter::once(&entity.name)
        .chain(&entity.aliases)
        .map(|n| name_key(n))
        .filter(|k| !k.is_empty())
        .collect();
    keys.dedup();
    keys
}

/// A registry entity that shares a key and the type with the entity being linked.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    /// The keys of its name and aliases that matched.
    pub matched_keys: Vec<String>,
}

/// Picks the registry entity that `entity` is, among candidates of its type sharing a key.
pub fn choose(entity: &TextEntity, candidates: &[Candidate]) -> Option<usize> {
    let own_key = name_key(&entity.name);
    // Same full name.
    if let Some(i) = candidates
        .iter()
        .position(|c| c.matched_keys.contains(&own_key))
    {
        if own_key.contains(' ') || candidates.len() == 1 {
            return Some(i);
        }
    }
    // Another full name of this entity ("Sergei Lavrov" as an alias of "Sergey Lavrov").
    let multiword: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.matched_keys.iter().any(|k| k.contains(' ')))
        .map(|(i, _)| i)
        .collect();
    if multiword.len() == 1 {
        return Some(multiword[0]);
    }
    // Only a bare name here ("Lavrov"): link when it is unambiguous.
    if !own_key.contains(' ') && candidates.len() == 1 {
        return Some(0);
    }
    None
}

/// A registry name that shares a key with an article's entity, as a backend returns it.
#[derive(Debug, Clone)]
pub struct RegistryMatch {
    pub id: String,
    pub name: String,
    pub entity_type: String,
    pub alias_key: String,
}

/// Editors' corrections that bear on one article, as a backend reads them for [`plan`].
#[derive(Debug, Clone, Default)]
pub struct Corrections {
    /// Merged entity id -> the entity it was merged into.
    pub redirects: HashMap<String, String>,
    /// (entity id, alias key) pairs an editor removed.
    pub removed_aliases: HashSet<(String, String)>,
}

/// What linking decided for one article entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    /// The registry has no such entity yet.
    pub create: bool,
    /// The article's name is fuller than the registry's ("Sergey Lavrov" for "Lavrov").
    pub rename: bool,
    /// The article's names to record on the registry entity: its name and aliases, without the
    /// ones an editor removed from that entity.
    pub names: Vec<String>,
}

/// The ids [`plan`] would give new entities: a backend looks up their redirects.
pub fn new_ids(entities: &[TextEntity]) -> Vec<String> {
    entities
        .iter()
        .map(|e| new_entity_id(e.entity_type, &e.name))
        .collect()
}

/// Links every entity of an article against the registry as it was before the article, so that
/// every backend decides the same whatever order it writes in. `matches` holds the registry names
/// sharing any of the entities' keys, most-mentioned entity first.
pub fn plan(
    entities: &[TextEntity],
    matches: &[RegistryMatch],
    corrections: &Corrections,
) -> Vec<Link> {
    entities
        .iter()
        .map(|entity| {
            let keys = lookup_keys(entity);
            let mut candidates: Vec<Candidate> = Vec::new();
            for m in matches.iter().filter(|m| {
                m.entity_type == entity.entity_type.as_str() && keys.contains(&m.alias_key)
            }) {
                match candidates.iter_mut().find(|c| c.id == m.id) {
                    Some(c) => c.matched_keys.push(m.alias_key.clone()),
                    None => candidates.push(Candidate {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        matched_keys: vec![m.alias_key.clone()],
                    }),
                }
            }
            let (id, create, rename) = match choose(entity, &candidates) {
                Some(i) => (
                    candidates[i].id.clone(),
                    false,
                    word_count(&entity.name) > word_count(&candidates[i].name),
                ),
                None => {
                    let id = new_entity_id(entity.entity_type, &entity.name);
                    match corrections.redirects.get(&id) {
                        Some(survivor) => (survivor.clone(), false, false),
                        None => (id, true, false),
                    }
                }
            };
            let names = std::iter::once(&entity.name)
                .chain(&entity.aliases)
                .filter(|n| {
                    let key = name_key(n);
                    !key.is_empty() && !corrections.removed_aliases.contains(&(id.clone(), key))
                })
                .cloned()
                .collect();
            Link {
                id,
                create,
                rename,
                names,
            }
        })
        .collect()
}

fn word_count(name: &str) -> usize {
    name_key(name).split(' ').filter(|w| !w.is_empty()).count()
}

/// Every key of every entity, without repeats: what a backend looks up for [`plan`].
pub fn all_keys(entities: &[TextEntity]) -> Vec<String> {
    let mut keys: Vec<String> = entities.iter().flat_map(lookup_keys).collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_entity(name: &str, aliases: &[&str]) -> TextEntity {
        TextEntity {
            local_id: "e1".into(),
            name: name.into(),
            entity_type: EntityType::Person,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            roles: vec![],
            mentions: vec![],
            salience: 0.5,
            entity_id: None,
        }
    }

    fn candidate(id: &str, keys: &[&str]) -> Candidate {
        Candidate {
            id: id.into(),
            name: id.into(),
            matched_keys: keys.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn ids_are_readable_and_deterministic() {
        let a = new_entity_id(EntityType::Person, "Sergey Lavrov");
        assert!(a.starts_with("sergey-lavrov-"), "{a}");
        assert_eq!(a, new_entity_id(EntityType::Person, "SERGEY  LAVROV"));
        assert_ne!(a, new_entity_id(EntityType::Organization, "Sergey Lavrov"));
        assert!(!new_entity_id(EntityType::Person, "Ким Чен Ын").is_empty());
    }

    #[test]
    fn full_names_link_and_namesakes_stay_apart() {
        let lavrov = text_entity("Sergey Lavrov", &["Lavrov"]);
        assert_eq!(
            choose(&lavrov, &[candidate("s", &["sergey lavrov", "lavrov"])]),
            Some(0)
        );
        // Another Lavrov who shares only the surname.
        let anna = text_entity("Anna Lavrov", &["Lavrov"]);
        assert_eq!(choose(&anna, &[candidate("s", &["lavrov"])]), None);
        // A bare surname links only when one entity carries it.
        let bare = text_entity("Lavrov", &[]);
        assert_eq!(choose(&bare, &[candidate("s", &["lavrov"])]), Some(0));
        assert_eq!(
            choose(
                &bare,
                &[candidate("s", &["lavrov"]), candidate("a", &["lavrov"])]
            ),
            None
        );
    }

    #[test]
    fn plans_links_creations_and_renames_by_type() {
        let registry = |id: &str, name: &str, t: &str, key: &str| RegistryMatch {
            id: id.into(),
            name: name.into(),
            entity_type: t.into(),
            alias_key: key.into(),
        };
        let matches = [
            registry("lav", "Lavrov", "PERSON", "lavrov"),
            registry("lav", "Lavrov", "PERSON", "sergei lavrov"),
            registry(
                "org",
                "Sergey Lavrov Group",
                "ORGANIZATION",
                "sergey lavrov",
            ),
        ];
        let entities = [
            text_entity("Sergey Lavrov", &["Sergei Lavrov"]),
            text_entity("Ann Lee", &["Lee"]),
        ];
        let plan1 = plan(&entities, &matches, &Corrections::default());
        assert_eq!(
            plan1[0],
            Link {
                id: "lav".into(),
                create: false,
                rename: true,
                names: vec!["Sergey Lavrov".into(), "Sergei Lavrov".into()],
            }
        );
        assert!(plan1[1].create && plan1[1].id.starts_with("ann-lee-"));

        // Ann Lee was merged into "lee"; an editor removed "Lee" from her.
        let corrections = Corrections {
            redirects: [(plan1[1].id.clone(), "lee".to_string())].into(),
            removed_aliases: [("lee".to_string(), "lee".to_string())].into(),
        };
        let plan2 = plan(&entities, &matches, &corrections);
        assert_eq!(
            plan2[1],
            Link {
                id: "lee".into(),
                create: false,
                rename: false,
                names: vec!["Ann Lee".into()],
            }
        );
    }
}
