//! The config's names checked against the CRM's: a `[fields]` mapping or a
//! `[hygiene]` rule naming a field, pipeline or stage the workspace does not
//! have would otherwise quietly change results (the margin falling back to the
//! default rate for everyone, a required-field rule checking nothing). One
//! check for `tsifra config check`, `serve`'s start and the boards' notes.

use crate::config::Config;
use crate::i18n::{Language, text_with};
use crate::model::{EntityKind, Workspace};
use crate::reports::facts::resolve_field;

/// What a config value names and the workspace lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A custom field of deals (or companies).
    Field(EntityKind),
    Pipeline,
    /// A stage, in the pipeline named (or in any pipeline when empty).
    Stage {
        pipeline: String,
    },
}

/// The result that the unknown name changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affects {
    /// Margin: every won deal gets the default rate.
    Margin,
    /// One hygiene rule checks nothing (or less than configured).
    Rule(crate::reports::hygiene::Rule),
    /// Data mapped at sync (payments, product, client type...).
    Mapping,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingProblem {
    /// Where the name is set: `fields.margin`, `hygiene.required[0].from_stage`.
    pub key: String,
    pub value: String,
    pub missing: Missing,
    pub affects: Affects,
    /// The existing names closest to `value`, best first (at most three).
    pub closest: Vec<String>,
}

impl MappingProblem {
    /// "[fields] margin = «Маржа2»: в CRM нет такого поля сделок; похожие: «Маржа»".
    pub fn message(&self, lang: Language) -> String {
        let (section, key) = self.key.split_once('.').unwrap_or(("", &self.key));
        let what = match &self.missing {
            Missing::Field(EntityKind::Company) => text_with(lang, "mapping.no_company_field", &[]),
            Missing::Field(_) => text_with(lang, "mapping.no_deal_field", &[]),
            Missing::Pipeline => text_with(lang, "mapping.no_pipeline", &[]),
            Missing::Stage { pipeline } if pipeline.is_empty() => text_with(lang, "mapping.no_stage_anywhere", &[]),
            Missing::Stage { pipeline } => text_with(lang, "mapping.no_stage_in", &[("pipeline", pipeline)]),
        };
        let quote = |s: &str| match lang {
            Language::Ru => format!("«{s}»"),
            Language::En => format!("\"{s}\""),
        };
        let mut out = format!("[{section}] {key} = {}: {what}", quote(&self.value));
        if !self.closest.is_empty() {
            let names: Vec<String> = self.closest.iter().map(|n| quote(n)).collect();
            out.push_str(&text_with(lang, "mapping.closest", &[("names", &names.join(", "))]));
        }
        out
    }
}

/// Whether the workspace holds anything to check names against (a store
/// before its first sync or import has no fields or pipelines yet).
pub fn can_check(ws: &Workspace) -> bool {
    !ws.field_defs.is_empty() || !ws.pipelines.is_empty()
}

/// Every name in `config` that the workspace does not have. Names are matched
/// as the reports match them: field by id or exact name (case-insensitive),
/// pipeline and stage by name (case-insensitive).
pub fn check(ws: &Workspace, config: &Config) -> Vec<MappingProblem> {
    let mut problems = Vec::new();
    let f = &config.fields;
    let fields: [(&str, &str, &[EntityKind], Affects); 9] = [
        ("margin", &f.margin, &[EntityKind::Deal], Affects::Margin),
        ("payment_due_date", &f.payment_due_date, &[EntityKind::Deal], Affects::Mapping),
        ("paid_date", &f.paid_date, &[EntityKind::Deal], Affects::Mapping),
        ("paid_amount", &f.paid_amount, &[EntityKind::Deal], Affects::Mapping),
        (
            "client_type",
            &f.client_type,
            &[EntityKind::Deal, EntityKind::Company],
            Affects::Mapping,
        ),
        ("product_type", &f.product_type, &[EntityKind::Deal], Affects::Mapping),
        (
            "company_qualification",
            &f.company_qualification,
            &[EntityKind::Company],
            Affects::Rule(crate::reports::hygiene::Rule::CompanyWithoutQualification),
        ),
        ("proposal_sent", &f.proposal_sent, &[EntityKind::Deal], Affects::Mapping),
        ("industry", &f.industry, &[EntityKind::Company, EntityKind::Deal], Affects::Mapping),
    ];
    for (key, value, entities, affects) in fields {
        if value.trim().is_empty() || entities.iter().any(|&e| resolve_field(ws, e, value).is_some()) {
            continue;
        }
        problems.push(MappingProblem {
            key: format!("fields.{key}"),
            value: value.to_string(),
            missing: Missing::Field(entities[0]),
            affects,
            closest: closest(
                value,
                ws.field_defs
                    .iter()
                    .filter(|d| entities.contains(&d.entity))
                    .map(|d| d.name.as_str()),
            ),
        });
    }

    let h = &config.hygiene;
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let all_stages = || ws.pipelines.iter().flat_map(|p| p.stages.iter().map(|s| s.name.as_str()));
    if !h.zero_amount_from_stage.trim().is_empty() && !all_stages().any(|s| same(s, &h.zero_amount_from_stage)) {
        problems.push(MappingProblem {
            key: "hygiene.zero_amount_from_stage".into(),
            value: h.zero_amount_from_stage.clone(),
            missing: Missing::Stage { pipeline: String::new() },
            affects: Affects::Rule(crate::reports::hygiene::Rule::ZeroAmount),
            closest: closest(&h.zero_amount_from_stage, all_stages()),
        });
    }
    let required = Affects::Rule(crate::reports::hygiene::Rule::RequiredFields);
    for (i, r) in h.required.iter().enumerate() {
        let pipeline = ws.pipelines.iter().find(|p| same(&p.name, &r.pipeline));
        if !r.pipeline.trim().is_empty() && pipeline.is_none() {
            problems.push(MappingProblem {
                key: format!("hygiene.required[{i}].pipeline"),
                value: r.pipeline.clone(),
                missing: Missing::Pipeline,
                affects: required,
                closest: closest(&r.pipeline, ws.pipelines.iter().map(|p| p.name.as_str())),
            });
        } else {
            let stages: Vec<&str> = match pipeline {
                Some(p) => p.stages.iter().map(|s| s.name.as_str()).collect(),
                None => all_stages().collect(),
            };
            if !stages.iter().any(|s| same(s, &r.from_stage)) {
                problems.push(MappingProblem {
                    key: format!("hygiene.required[{i}].from_stage"),
                    value: r.from_stage.clone(),
                    missing: Missing::Stage {
                        pipeline: pipeline.map(|p| p.name.clone()).unwrap_or_default(),
                    },
                    affects: required,
                    closest: closest(&r.from_stage, stages.iter().copied()),
                });
            }
        }
        for field in &r.fields {
            if resolve_field(ws, EntityKind::Deal, field).is_none() {
                problems.push(MappingProblem {
                    key: format!("hygiene.required[{i}].fields"),
                    value: field.clone(),
                    missing: Missing::Field(EntityKind::Deal),
                    affects: required,
                    closest: closest(
                        field,
                        ws.field_defs
                            .iter()
                            .filter(|d| d.entity == EntityKind::Deal)
                            .map(|d| d.name.as_str()),
                    ),
                });
            }
        }
    }
    problems
}

/// Up to three names closest to `wanted` by edit distance (case-insensitive),
/// a name containing it or contained in it counting as close.
fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let w = wanted.trim().to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .map(|name| {
            let n = name.to_lowercase();
            let mut score = strsim::normalized_levenshtein(&w, &n);
            if !w.is_empty() && (n.contains(&w) || w.contains(&n)) {
                score = score.max(0.75);
            }
            (score, name)
        })
        .filter(|(score, _)| *score >= 0.4)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, n)| n.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RequiredFields;
    use crate::model::{FieldDef, FieldType};
    use crate::reports::testkit::Kit;

    fn field(k: &mut Kit, id: i64, entity: EntityKind, name: &str) {
        k.ws.field_defs.upsert(FieldDef {
            id,
            entity,
            name: name.into(),
            code: None,
            field_type: FieldType::Text,
            options: vec![],
        });
    }

    #[test]
    fn unknown_fields_pipelines_and_stages_are_named_with_the_closest() {
        let mut k = Kit::new();
        field(&mut k, 900, EntityKind::Deal, "Маржа");
        field(&mut k, 901, EntityKind::Deal, "Тип продукта");
        field(&mut k, 902, EntityKind::Company, "Квалификация");
        k.config.fields.margin = "Маржа, ₽".into();
        k.config.fields.company_qualification = "квалификация".into(); // found: case does not matter
        k.config.fields.product_type = "901".into(); // found by id
        k.config.hygiene.zero_amount_from_stage = "Переговоры".into(); // the kit's pipeline has it
        let pipeline = k.ws.pipelines.iter().next().unwrap().name.clone();
        k.config.hygiene.required = vec![
            RequiredFields {
                pipeline: "Горячие продажы".into(),
                from_stage: "Переговоры".into(),
                fields: vec!["Тип продукта".into()],
            },
            RequiredFields {
                pipeline: pipeline.clone(),
                from_stage: "Перговоры".into(),
                fields: vec!["Тип продута".into()],
            },
        ];
        let problems = check(&k.ws, &k.config);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "fields.margin",
                "hygiene.required[0].pipeline",
                "hygiene.required[1].from_stage",
                "hygiene.required[1].fields"
            ]
        );
        assert_eq!(problems[0].closest, ["Маржа"]);
        assert_eq!(problems[0].affects, Affects::Margin);
        assert_eq!(
            problems[0].message(Language::Ru),
            "[fields] margin = «Маржа, ₽»: в CRM нет такого поля сделок; похожие: «Маржа»"
        );
        assert_eq!(
            problems[0].message(Language::En),
            "[fields] margin = \"Маржа, ₽\": the CRM has no deal field of that name or id; closest: \"Маржа\""
        );
        assert!(problems[2].closest.contains(&"Переговоры".to_string()), "{:?}", problems[2]);
        assert_eq!(problems[3].closest, ["Тип продукта"]);
        assert!(problems[2].message(Language::Ru).contains(&format!("в воронке «{pipeline}»")));
    }

    #[test]
    fn a_config_naming_only_what_exists_has_no_problems() {
        let mut k = Kit::new();
        field(&mut k, 900, EntityKind::Deal, "Маржа");
        k.config.fields.margin = "Маржа".into();
        assert_eq!(check(&k.ws, &k.config), vec![]);
        assert!(can_check(&k.ws));
        assert!(!can_check(&Workspace::default()));
    }
}
