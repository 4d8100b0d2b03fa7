# Case words: a voicemail that contains one of these is a possible public
# record (allmän handling). One word or phrase a line, lower case; edit freely.
# Inflected forms are listed where speakers use them. Sought in voicemails by
# rv_spot_keywords (src/verify.c), pronounced through sv-arpabet-directory.map;
# a hit makes the voicemail possible_public_record (src/classify.c).
ärende
ärendet
ansökan
ansöka
beslut
beslutet
bygglov
bygglovet
överklaga
överklagar
överklagande
överklagandet
faktura
fakturan
klagomål
anmälan
anmäla
diarienummer
diarienumret
handling
handlingar
avtal
yttrande
remiss
tillstånd
bidrag
försörjningsstöd
bistånd
skolplacering
skolskjuts
orosanmälan
detaljplan
strandskydd
upphandling
anbud
begäran
begära ut
allmän handling
