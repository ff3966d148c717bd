//! Russian people's and companies' names, phones, e-mails and tax numbers for
//! the demo department. Each word carries its Latin spelling, so e-mail
//! addresses and domains are made without a transliteration pass per record.

use std::fmt::Write;

use crate::sample::{DemoRng, below, chance, pick};

/// Male surnames ending in -ов/-ев/-ин/-ский, so that the female form is regular.
const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasilev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhaylov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
    ("Алексеев", "alekseev"),
    ("Лебедев", "lebedev"),
    ("Семёнов", "semenov"),
    ("Егоров", "egorov"),
    ("Павлов", "pavlov"),
    ("Козлов", "kozlov"),
    ("Степанов", "stepanov"),
    ("Николаев", "nikolaev"),
    ("Орлов", "orlov"),
    ("Андреев", "andreev"),
    ("Макаров", "makarov"),
    ("Никитин", "nikitin"),
    ("Захаров", "zakharov"),
    ("Зайцев", "zaytsev"),
    ("Соловьёв", "solovev"),
    ("Борисов", "borisov"),
    ("Яковлев", "yakovlev"),
    ("Григорьев", "grigorev"),
    ("Романов", "romanov"),
    ("Воробьёв", "vorobev"),
    ("Сергеев", "sergeev"),
    ("Кузьмин", "kuzmin"),
    ("Фролов", "frolov"),
    ("Александров", "aleksandrov"),
    ("Дмитриев", "dmitriev"),
    ("Королёв", "korolev"),
    ("Гусев", "gusev"),
    ("Киселёв", "kiselev"),
    ("Ильин", "ilin"),
    ("Максимов", "maksimov"),
    ("Поляков", "polyakov"),
    ("Сорокин", "sorokin"),
    ("Виноградов", "vinogradov"),
    ("Ковалёв", "kovalev"),
    ("Белов", "belov"),
    ("Медведев", "medvedev"),
    ("Антонов", "antonov"),
    ("Тарасов", "tarasov"),
    ("Жуков", "zhukov"),
    ("Баранов", "baranov"),
    ("Филиппов", "filippov"),
    ("Комаров", "komarov"),
    ("Давыдов", "davydov"),
    ("Беляев", "belyaev"),
    ("Герасимов", "gerasimov"),
    ("Богданов", "bogdanov"),
    ("Осипов", "osipov"),
    ("Сидоров", "sidorov"),
    ("Матвеев", "matveev"),
    ("Титов", "titov"),
    ("Марков", "markov"),
    ("Миронов", "mironov"),
    ("Крылов", "krylov"),
    ("Куликов", "kulikov"),
    ("Карпов", "karpov"),
    ("Власов", "vlasov"),
    ("Мельников", "melnikov"),
    ("Денисов", "denisov"),
    ("Гаврилов", "gavrilov"),
    ("Тихонов", "tikhonov"),
    ("Казаков", "kazakov"),
    ("Афанасьев", "afanasev"),
    ("Данилов", "danilov"),
    ("Савельев", "savelev"),
    ("Тимофеев", "timofeev"),
    ("Фомин", "fomin"),
    ("Чернов", "chernov"),
    ("Абрамов", "abramov"),
    ("Мартынов", "martynov"),
    ("Ефимов", "efimov"),
    ("Щербаков", "shcherbakov"),
    ("Назаров", "nazarov"),
    ("Калинин", "kalinin"),
    ("Исаев", "isaev"),
    ("Быков", "bykov"),
    ("Маслов", "maslov"),
    ("Родионов", "rodionov"),
    ("Коновалов", "konovalov"),
    ("Лазарев", "lazarev"),
    ("Воронин", "voronin"),
    ("Климов", "klimov"),
    ("Голубев", "golubev"),
    ("Кудрявцев", "kudryavtsev"),
    ("Прохоров", "prokhorov"),
    ("Наумов", "naumov"),
    ("Журавлёв", "zhuravlev"),
    ("Соболев", "sobolev"),
    ("Гончаров", "goncharov"),
    ("Громов", "gromov"),
    ("Цветков", "tsvetkov"),
    ("Покровский", "pokrovsky"),
    ("Вишневский", "vishnevsky"),
    ("Островский", "ostrovsky"),
    ("Ковальский", "kovalsky"),
    ("Жуковский", "zhukovsky"),
];

const MALE_NAMES: &[(&str, &str)] = &[
    ("Александр", "aleksandr"),
    ("Алексей", "aleksey"),
    ("Андрей", "andrey"),
    ("Антон", "anton"),
    ("Артём", "artem"),
    ("Борис", "boris"),
    ("Вадим", "vadim"),
    ("Василий", "vasiliy"),
    ("Виктор", "viktor"),
    ("Владимир", "vladimir"),
    ("Владислав", "vladislav"),
    ("Геннадий", "gennadiy"),
    ("Георгий", "georgiy"),
    ("Глеб", "gleb"),
    ("Денис", "denis"),
    ("Дмитрий", "dmitriy"),
    ("Евгений", "evgeniy"),
    ("Егор", "egor"),
    ("Иван", "ivan"),
    ("Игорь", "igor"),
    ("Илья", "ilya"),
    ("Кирилл", "kirill"),
    ("Константин", "konstantin"),
    ("Леонид", "leonid"),
    ("Максим", "maksim"),
    ("Михаил", "mikhail"),
    ("Никита", "nikita"),
    ("Николай", "nikolay"),
    ("Олег", "oleg"),
    ("Павел", "pavel"),
    ("Роман", "roman"),
    ("Руслан", "ruslan"),
    ("Сергей", "sergey"),
    ("Станислав", "stanislav"),
    ("Степан", "stepan"),
    ("Тимур", "timur"),
    ("Фёдор", "fedor"),
    ("Юрий", "yuriy"),
    ("Ярослав", "yaroslav"),
];

const FEMALE_NAMES: &[(&str, &str)] = &[
    ("Александра", "aleksandra"),
    ("Алина", "alina"),
    ("Анастасия", "anastasiya"),
    ("Анна", "anna"),
    ("Валентина", "valentina"),
    ("Валерия", "valeriya"),
    ("Вера", "vera"),
    ("Виктория", "viktoriya"),
    ("Галина", "galina"),
    ("Дарья", "darya"),
    ("Евгения", "evgeniya"),
    ("Екатерина", "ekaterina"),
    ("Елена", "elena"),
    ("Елизавета", "elizaveta"),
    ("Ирина", "irina"),
    ("Карина", "karina"),
    ("Ксения", "kseniya"),
    ("Лариса", "larisa"),
    ("Людмила", "lyudmila"),
    ("Маргарита", "margarita"),
    ("Марина", "marina"),
    ("Мария", "mariya"),
    ("Надежда", "nadezhda"),
    ("Наталья", "natalya"),
    ("Оксана", "oksana"),
    ("Ольга", "olga"),
    ("Полина", "polina"),
    ("Светлана", "svetlana"),
    ("Софья", "sofya"),
    ("Татьяна", "tatyana"),
    ("Юлия", "yuliya"),
    ("Яна", "yana"),
];

/// (male, female) patronymics.
const PATRONYMICS: &[(&str, &str)] = &[
    ("Александрович", "Александровна"),
    ("Алексеевич", "Алексеевна"),
    ("Андреевич", "Андреевна"),
    ("Анатольевич", "Анатольевна"),
    ("Борисович", "Борисовна"),
    ("Валерьевич", "Валерьевна"),
    ("Васильевич", "Васильевна"),
    ("Викторович", "Викторовна"),
    ("Владимирович", "Владимировна"),
    ("Геннадьевич", "Геннадьевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Евгеньевич", "Евгеньевна"),
    ("Иванович", "Ивановна"),
    ("Игоревич", "Игоревна"),
    ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"),
    ("Олегович", "Олеговна"),
    ("Павлович", "Павловна"),
    ("Петрович", "Петровна"),
    ("Романович", "Романовна"),
    ("Сергеевич", "Сергеевна"),
    ("Юрьевич", "Юрьевна"),
];

/// A person drawn from the lists, kept as indices until a name is written out.
#[derive(Clone, Copy)]
pub(crate) struct Person {
    female: bool,
    surname: usize,
    first: usize,
    patronymic: usize,
}

impl Person {
    pub(crate) fn random(rng: &mut DemoRng) -> Person {
        let female = chance(rng, 0.45);
        Person {
            female,
            surname: below(rng, SURNAMES.len()),
            first: below(rng, if female { FEMALE_NAMES.len() } else { MALE_NAMES.len() }),
            patronymic: below(rng, PATRONYMICS.len()),
        }
    }

    /// The `n`-th of a run of distinct people (distinct up to the size of the lists).
    fn nth(n: u64) -> Person {
        let surname = (n % SURNAMES.len() as u64) as usize;
        let rest = n / SURNAMES.len() as u64;
        let female = rest % 2 == 1;
        let rest = rest / 2;
        let names = if female { FEMALE_NAMES.len() } else { MALE_NAMES.len() } as u64;
        Person {
            female,
            surname,
            first: (rest % names) as usize,
            patronymic: ((rest / names) % PATRONYMICS.len() as u64) as usize,
        }
    }

    fn write_surname(&self, out: &mut String) {
        let male = SURNAMES[self.surname].0;
        if !self.female {
            out.push_str(male);
        } else if let Some(stem) = male.strip_suffix("ий") {
            out.push_str(stem);
            out.push_str("ая");
        } else {
            out.push_str(male);
            out.push('а');
        }
    }

    fn write_surname_latin(&self, out: &mut String) {
        let male = SURNAMES[self.surname].1;
        if !self.female {
            out.push_str(male);
        } else if let Some(stem) = male.strip_suffix('y') {
            out.push_str(stem);
            out.push_str("aya");
        } else {
            out.push_str(male);
            out.push('a');
        }
    }

    fn first(&self) -> (&'static str, &'static str) {
        if self.female {
            FEMALE_NAMES[self.first]
        } else {
            MALE_NAMES[self.first]
        }
    }

    fn patronymic(&self) -> &'static str {
        let (m, f) = PATRONYMICS[self.patronymic];
        if self.female { f } else { m }
    }

    /// "Фамилия Имя Отчество".
    pub(crate) fn full_name(&self) -> String {
        let mut s = String::with_capacity(64);
        self.write_surname(&mut s);
        s.push(' ');
        s.push_str(self.first().0);
        s.push(' ');
        s.push_str(self.patronymic());
        s
    }

    /// "Имя Фамилия", how many cards in a CRM are actually filled in.
    pub(crate) fn short_name(&self) -> String {
        let mut s = String::with_capacity(40);
        s.push_str(self.first().0);
        s.push(' ');
        self.write_surname(&mut s);
        s
    }

    /// "имя.фамилия@domain".
    pub(crate) fn email(&self, domain: &str) -> String {
        let mut s = String::with_capacity(40);
        s.push_str(self.first().1);
        s.push('.');
        self.write_surname_latin(&mut s);
        s.push('@');
        s.push_str(domain);
        s
    }
}

pub(crate) const FREE_MAIL: &[&str] = &["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru"];

/// Brand words of client companies ("Вектор" is the demo account itself, so not here).
const ROOTS: &[(&str, &str)] = &[
    ("Альфа", "alfa"),
    ("Гранит", "granit"),
    ("Сигма", "sigma"),
    ("Меридиан", "meridian"),
    ("Орион", "orion"),
    ("Атлант", "atlant"),
    ("Север", "sever"),
    ("Восток", "vostok"),
    ("Феникс", "feniks"),
    ("Прогресс", "progress"),
    ("Стандарт", "standart"),
    ("Эталон", "etalon"),
    ("Сфера", "sfera"),
    ("Форум", "forum"),
    ("Кварц", "kvarts"),
    ("Титан", "titan"),
    ("Олимп", "olimp"),
    ("Горизонт", "gorizont"),
    ("Импульс", "impuls"),
    ("Профи", "profi"),
    ("Лидер", "lider"),
    ("Азимут", "azimut"),
    ("Аврора", "avrora"),
    ("Байкал", "baikal"),
    ("Вега", "vega"),
    ("Гелиос", "gelios"),
    ("Дельта", "delta"),
    ("Зенит", "zenit"),
    ("Исток", "istok"),
    ("Кедр", "kedr"),
    ("Квант", "kvant"),
    ("Магистраль", "magistral"),
    ("Пик", "pik"),
    ("Радуга", "raduga"),
    ("Ресурс", "resurs"),
    ("Рубикон", "rubikon"),
    ("Сапфир", "sapfir"),
    ("Сатурн", "saturn"),
    ("Спектр", "spektr"),
    ("Стимул", "stimul"),
    ("Тайга", "taiga"),
    ("Уникум", "unikum"),
    ("Урал", "ural"),
    ("Фаворит", "favorit"),
    ("Флагман", "flagman"),
    ("Фортуна", "fortuna"),
    ("Эверест", "everest"),
    ("Эльбрус", "elbrus"),
    ("Энергия", "energiya"),
    ("Юпитер", "yupiter"),
    ("Янтарь", "yantar"),
    ("Ладога", "ladoga"),
    ("Волга", "volga"),
    ("Алтай", "altay"),
    ("Континент", "kontinent"),
    ("Монолит", "monolit"),
    ("Оникс", "oniks"),
    ("Полюс", "polyus"),
    ("Пульсар", "pulsar"),
    ("Ритм", "ritm"),
];

/// (word, latin, joiner): each tail has one way of joining so that no two generated
/// names differ only by a space or a hyphen (that would look like a duplicate).
const TAILS: &[(&str, &str, &str)] = &[
    ("", "", ""),
    ("Плюс", "plus", " "),
    ("Групп", "group", " "),
    ("Трейд", "trade", "-"),
    ("Сервис", "servis", "-"),
    ("Строй", "stroy", ""),
    ("Пром", "prom", ""),
    ("Снаб", "snab", ""),
    ("Логистик", "logistik", " "),
    ("Инвест", "invest", "-"),
    ("Маркет", "market", " "),
    ("Холдинг", "holding", " "),
    ("Регион", "region", "-"),
    ("Про", "pro", ""),
    ("Софт", "soft", ""),
    ("Агро", "agro", ""),
    ("Мед", "med", ""),
    ("Энерго", "energo", ""),
    ("Авто", "avto", ""),
    ("Хим", "khim", ""),
    ("Металл", "metall", ""),
    ("Транс", "trans", ""),
    ("Торг", "torg", ""),
    ("Консалт", "konsalt", " "),
    ("Систем", "sistem", " "),
    ("Лайн", "line", " "),
    ("Комплект", "komplekt", ""),
    ("М", "m", "-"),
    ("Центр", "centr", " "),
    ("Дом", "dom", " "),
];

/// Kinds of business written before the brand: "ТД Гранит", "ПК Орион Плюс".
const KINDS: &[(&str, &str)] = &[
    ("", ""),
    ("ТД ", "td"),
    ("ПК ", "pk"),
    ("ТК ", "tk"),
    ("СК ", "sk"),
    ("НПП ", "npp"),
    ("ГК ", "gk"),
    ("Завод ", "zavod"),
];

/// Legal forms with their share among clients.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegalForm {
    Ooo,
    Ao,
    Ip,
}

impl LegalForm {
    pub(crate) fn random(rng: &mut DemoRng) -> LegalForm {
        let r = crate::sample::unit(rng);
        if r < 0.72 {
            LegalForm::Ooo
        } else if r < 0.82 {
            LegalForm::Ao
        } else {
            LegalForm::Ip
        }
    }
    pub(crate) fn abbr(self) -> &'static str {
        match self {
            LegalForm::Ooo => "ООО",
            LegalForm::Ao => "АО",
            LegalForm::Ip => "ИП",
        }
    }
}

/// The number of brand names before they repeat with a number.
fn brand_combos() -> u64 {
    (ROOTS.len() * TAILS.len() * KINDS.len()) as u64
}

/// A company's name and web domain; `serial` (distinct per company) makes names distinct.
pub(crate) fn company_name(form: LegalForm, serial: u64, salt: u64) -> (String, String) {
    if form == LegalForm::Ip {
        // People are distinct over ~90 000 serials; beyond that namesakes are realistic.
        let people = (SURNAMES.len() * 2 * FEMALE_NAMES.len() * PATRONYMICS.len()) as u64;
        let person = Person::nth(scatter(serial % people, salt, people));
        let mut name = String::with_capacity(64);
        name.push_str("ИП ");
        name.push_str(&person.full_name());
        let mut domain = String::with_capacity(24);
        person.write_surname_latin(&mut domain);
        domain.push_str("-ip.ru");
        return (name, domain);
    }
    let combos = brand_combos();
    let round = serial / combos;
    let c = scatter(serial % combos, salt, combos);
    let root = ROOTS[(c % ROOTS.len() as u64) as usize];
    let c = c / ROOTS.len() as u64;
    let tail = TAILS[(c % TAILS.len() as u64) as usize];
    let kind = KINDS[((c / TAILS.len() as u64) % KINDS.len() as u64) as usize];
    let mut name = String::with_capacity(64);
    let _ = write!(name, "{} «{}{}{}{}", form.abbr(), kind.0, root.0, tail.2, tail.0);
    let mut domain = String::with_capacity(32);
    domain.push_str(kind.1);
    domain.push_str(root.1);
    domain.push_str(tail.1);
    if round > 0 {
        // Beyond the word combinations, branches are told apart by number like real ones.
        let _ = write!(name, "-{}", round + 1);
        let _ = write!(domain, "{}", round + 1);
    }
    name.push('»');
    domain.push_str(".ru");
    (name, domain)
}

/// A bijection of `0..n` (for n up to ~2^40), so serials map to distinct but unordered names.
fn scatter(i: u64, salt: u64, n: u64) -> u64 {
    // A multiplier coprime with n walks every residue exactly once.
    let mut step = (salt % n) | 1;
    while gcd(step, n) != 1 {
        step += 2;
    }
    (i % n * step + salt / 7) % n
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Spellings of the same company a second card might carry: the stuff duplicates are made of.
pub(crate) fn name_variant(name: &str, which: usize) -> String {
    let (form, rest) = name.split_once(' ').unwrap_or(("", name));
    let inner = rest.trim_start_matches('«').trim_end_matches('»');
    match which % 5 {
        0 => format!("{form} \"{inner}\""),
        1 => format!("{inner}, {form}"),
        2 => format!("{form} «{}»", inner.to_uppercase()),
        3 => format!("{form}  {rest} "),
        _ => format!("{form} {inner}"),
    }
}

/// Regions: (tax office region code, city phone code).
const REGIONS: &[(u32, &str)] = &[
    (77, "495"),
    (50, "495"),
    (78, "812"),
    (66, "343"),
    (54, "383"),
    (16, "843"),
    (52, "831"),
    (23, "861"),
    (61, "863"),
    (74, "351"),
];

pub(crate) fn random_region(rng: &mut DemoRng) -> usize {
    // Moscow and its region weigh most, as for most Russian B2B sellers.
    if chance(rng, 0.45) {
        below(rng, 2)
    } else {
        below(rng, REGIONS.len())
    }
}

/// A valid ИНН: 10 digits for a legal entity, 12 for an individual entrepreneur.
/// `serial` keeps numbers distinct across companies.
pub(crate) fn tax_id(region: usize, serial: u64, salt: u64, individual: bool) -> String {
    let region_code = REGIONS[region].0 as u64;
    let mut digits = [0u8; 12];
    let body_len = if individual { 8 } else { 7 };
    let space = 10u64.pow(body_len);
    let body = scatter(serial % space, salt, space);
    digits[0] = (region_code / 10) as u8;
    digits[1] = (region_code % 10) as u8;
    for k in 0..body_len as usize {
        digits[2 + k] = ((body / 10u64.pow(body_len - 1 - k as u32)) % 10) as u8;
    }
    let check = |coeffs: &[u32], digits: &[u8]| -> u8 {
        let sum: u32 = coeffs.iter().zip(digits).map(|(c, d)| c * *d as u32).sum();
        ((sum % 11) % 10) as u8
    };
    let len = if individual {
        digits[10] = check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &digits[..10]);
        digits[11] = check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &digits[..11]);
        12
    } else {
        digits[9] = check(&[2, 4, 10, 3, 5, 9, 4, 6, 8], &digits[..9]);
        10
    };
    digits[..len].iter().map(|d| char::from(b'0' + d)).collect()
}

pub(crate) fn office_phone(rng: &mut DemoRng, region: usize) -> String {
    let n = crate::sample::between(rng, 0, 9_999_999);
    format!("+7 ({}) {:03}-{:02}-{:02}", REGIONS[region].1, n / 10_000, n / 100 % 100, n % 100)
}

pub(crate) fn mobile_phone(rng: &mut DemoRng) -> String {
    let operator = *pick(rng, &[903u32, 905, 909, 915, 916, 925, 926, 977, 985, 999, 912, 921, 950]);
    let n = crate::sample::between(rng, 0, 9_999_999);
    format!("+7 {operator} {:03}-{:02}-{:02}", n / 10_000, n / 100 % 100, n % 100)
}

pub(crate) const POSITIONS: &[&str] = &[
    "Генеральный директор",
    "Директор",
    "Коммерческий директор",
    "Менеджер по закупкам",
    "Главный инженер",
    "Главный бухгалтер",
    "Руководитель отдела снабжения",
    "Офис-менеджер",
    "Технический директор",
    "Собственник",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tax_ids_are_valid_and_distinct() {
        let mut seen = HashSet::new();
        for serial in 0..5_000 {
            let inn = tax_id(serial as usize % REGIONS.len(), serial, 12345, false);
            assert_eq!(inn.len(), 10);
            assert!(seen.insert(inn[2..].to_string()), "{inn}");
            let ip = tax_id(0, serial, 999, true);
            assert_eq!(ip.len(), 12);
        }
        // A known valid ИНН: 7707083893 (Сбербанк).
        let d: Vec<u32> = "7707083893".chars().map(|c| c.to_digit(10).unwrap()).collect();
        let sum: u32 = [2, 4, 10, 3, 5, 9, 4, 6, 8].iter().zip(&d).map(|(c, x)| c * x).sum();
        assert_eq!(sum % 11 % 10, d[9]);
    }

    #[test]
    fn company_names_are_distinct_within_the_combinations() {
        let n = brand_combos();
        let names: HashSet<String> = (0..n).map(|i| company_name(LegalForm::Ooo, i, 77).0).collect();
        assert_eq!(names.len() as u64, n);
        let more = company_name(LegalForm::Ooo, n + 3, 77).0;
        assert!(!names.contains(&more), "{more}");
        assert!(company_name(LegalForm::Ip, 5, 1).0.starts_with("ИП "));
    }

    #[test]
    fn female_surnames_agree() {
        let p = Person {
            female: true,
            surname: SURNAMES.iter().position(|s| s.0 == "Покровский").unwrap(),
            first: 0,
            patronymic: 0,
        };
        assert_eq!(p.full_name(), "Покровская Александра Александровна");
        assert_eq!(p.email("mail.ru"), "aleksandra.pokrovskaya@mail.ru");
        assert_eq!(name_variant("ООО «ТД Гранит Плюс»", 1), "ТД Гранит Плюс, ООО");
    }
}
