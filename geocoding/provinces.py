"""The 81 provinces of Türkiye (and the short names people write for some).

An address that names another province than the jurisdiction's own
("Akhisar Mh. Manisa", "Kızılay Cd., Çankaya, Ankara") is not in the
jurisdiction, whatever neighbourhood of the same name it has: the geocoder
never answers such text as sure. The jurisdiction's own names come from its
pack (``geocoding.province_names``) and are left out.
"""

PROVINCES = (
    "Adana", "Adıyaman", "Afyonkarahisar", "Ağrı", "Aksaray", "Amasya",
    "Ankara", "Antalya", "Ardahan", "Artvin", "Aydın", "Balıkesir", "Bartın",
    "Batman", "Bayburt", "Bilecik", "Bingöl", "Bitlis", "Bolu", "Burdur",
    "Bursa", "Çanakkale", "Çankırı", "Çorum", "Denizli", "Diyarbakır",
    "Düzce", "Edirne", "Elazığ", "Erzincan", "Erzurum", "Eskişehir",
    "Gaziantep", "Giresun", "Gümüşhane", "Hakkâri", "Hatay", "Iğdır",
    "Isparta", "İstanbul", "İzmir", "Kahramanmaraş", "Karabük", "Karaman",
    "Kars", "Kastamonu", "Kayseri", "Kırıkkale", "Kırklareli", "Kırşehir",
    "Kilis", "Kocaeli", "Konya", "Kütahya", "Malatya", "Manisa", "Mardin",
    "Mersin", "Muğla", "Muş", "Nevşehir", "Niğde", "Ordu", "Osmaniye",
    "Rize", "Sakarya", "Samsun", "Siirt", "Sinop", "Sivas", "Şanlıurfa",
    "Şırnak", "Tekirdağ", "Tokat", "Trabzon", "Tunceli", "Uşak", "Van",
    "Yalova", "Yozgat", "Zonguldak",
)  # fmt: skip
# Names in everyday use beside the official ones.
SHORT_NAMES = {
    "Afyon": "Afyonkarahisar",
    "Antep": "Gaziantep",
    "Maraş": "Kahramanmaraş",
    "Urfa": "Şanlıurfa",
    "İçel": "Mersin",
}
